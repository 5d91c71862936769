"""Registry and proposal import actors."""

from __future__ import annotations

import dramatiq

from shared.broker import ensure_broker
from shared.db import get_database
from shared.jobs import JobFailed, run_claimed
from shared.registry import service

ensure_broker()


@dramatiq.actor(actor_name=service.ACTOR_NAME, max_retries=3, throws=(JobFailed,))
def import_cooperatives(job_id: int) -> None:
    """Import a registry or proposals file (job kind ``cooperatives``)."""
    db = get_database()
    run_claimed(db, job_id, lambda _claim: service.run_job(db, job_id))
