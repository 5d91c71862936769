"""The one table of actor names: which actor runs each kind of job.

Names, not functions: ``shared`` enqueues by name and never imports the worker, which declares
one Dramatiq actor under each of these names (``worker/actors.py``).
"""

from __future__ import annotations

from shared.models import JobKind

VILLAGE_IMPORT = "import_villages"
REGISTRY_IMPORT = "import_cooperatives"  # registry snapshots and proposal lists
COVERAGE_RECOMPUTE = "recompute_coverage"
EXPORT = "export_data"  # a partner's bulk file (shared.exports)
# The ``on_retry_exhausted`` actor of every job message: fails the job once its retries are
# spent (Dramatiq's ``on_failure`` would run after every failed attempt: Dramatiq issue #425).
JOB_GAVE_UP = "job_gave_up"

ACTOR_OF: dict[JobKind, str] = {
    JobKind.villages: VILLAGE_IMPORT,
    JobKind.cooperatives: REGISTRY_IMPORT,
    JobKind.coverage: COVERAGE_RECOMPUTE,
    JobKind.export: EXPORT,
}
