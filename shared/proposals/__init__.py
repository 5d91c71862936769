"""Proposals of new cooperatives by regions: one at a time (``service``), in bulk from a file
(``importing``), and read (``queries``)."""
