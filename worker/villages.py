"""Village-list actors."""

from __future__ import annotations

import dramatiq

from shared.broker import ensure_broker
from shared.db import get_database
from shared.jobs import Claim, JobFailed, run_claimed
from shared.villages.service import ACTOR_NAME, run_job

ensure_broker()


@dramatiq.actor(actor_name=ACTOR_NAME, max_retries=3, throws=(JobFailed,))
def import_villages(job_id: int) -> None:
    """Import an edition of the official village list (job kind ``villages``)."""
    db = get_database()

    def work(_claim: Claim) -> None:
        run_job(db, job_id)

    run_claimed(db, job_id, work)
