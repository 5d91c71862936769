"""Coverage actors."""

from __future__ import annotations

import dramatiq

from shared.broker import ensure_broker
from shared.coverage import service as coverage
from shared.coverage.schedule import ACTOR_NAME
from shared.db import get_database
from shared.jobs import JobFailed, run_claimed

ensure_broker()


@dramatiq.actor(actor_name=ACTOR_NAME, max_retries=3, throws=(JobFailed,))
def recompute_coverage(job_id: int) -> None:
    """Recalculate all coverage figures (job kind ``coverage``)."""
    db = get_database()
    run_claimed(db, job_id, lambda _claim: coverage.run_job(db, job_id))
