"""The cooperative registry: imports of registry snapshots and proposal lists, data sets.

A registry file has one row per cooperative (format in ``docs/registry-format.md``); rows are
upserted by their registry id. A proposals file has one row per proposal for a new
cooperative, upserted by its proposal id. Both imports follow the rules of the village import:
every problem reported with line, field, code and message, nothing written when any row is
wrong, the same file twice changes nothing, one transaction, a job with progress.
"""
