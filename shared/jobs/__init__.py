"""Jobs: imports and recalculations that run on a worker and report on an ``import_jobs`` row.

* ``store``: the job rows (create, claim, progress, end), the only writer of ``import_jobs``;
* ``runner``: runs a claimed job's flow, with heartbeat, error handling and statistics;
* ``queue``: sends a job to its actor by name, and resumes jobs a restart interrupted;
* ``actors``: the one table of actor names.

A job kind's work is a :class:`~shared.jobs.runner.Flow` defined in its domain package (the
village list, the registry, coverage); the worker hands the flow and the job id to the runner.
"""
