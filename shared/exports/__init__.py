"""Bulk exports for partners: a dataset, in a format, for a caller's scope, as a job.

``service`` starts exports and guards their files, ``flow`` is the job (a consistent snapshot
streamed into a file), ``datasets`` and ``formats`` are what is written and how.
"""
