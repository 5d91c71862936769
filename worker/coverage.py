"""Coverage actors."""

from __future__ import annotations

import dramatiq

from shared.broker import ensure_broker
from shared.coverage import service as coverage
from shared.db import get_database
from shared.jobs import Claim, JobFailed, finish, run_claimed
from shared.models import JobStatus

ensure_broker()


@dramatiq.actor(actor_name="recompute_coverage", max_retries=3, throws=(JobFailed,))
def recompute_coverage(job_id: int) -> None:
    """Recalculate all coverage figures (job kind ``coverage``)."""
    db = get_database()

    def work(_claim: Claim) -> None:
        with db.transaction() as session:
            result = coverage.recompute(session)
            finish(
                session,
                job_id,
                JobStatus.succeeded,
                f"coverage of {result.regions} scopes at data version {result.data_version}",
                timings={"total": round(result.seconds, 3)},
            )

    run_claimed(db, job_id, work)
