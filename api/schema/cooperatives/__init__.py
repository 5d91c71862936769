"""Cooperatives over GraphQL: the types (``types``), reading them (``queries``) and writing
them (``mutations``)."""
