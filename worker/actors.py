"""Every actor, declared on the broker of the current settings.

Actors take ids, never payloads, and hand the work to services in ``shared``: a message that
arrives twice finds its job already claimed or finished (see ``shared.jobs``).
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq

from shared.broker import ensure_broker
from shared.coverage import service as coverage
from shared.db import get_database
from shared.jobs import JobFailed, give_up, run_claimed

ensure_broker()

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name="job_gave_up", max_retries=0)
def job_gave_up(message: dict[str, Any], exception: dict[str, Any]) -> None:
    """Failure callback: a job whose retries are spent is marked failed with the reason."""
    job_id = message["args"][0]
    give_up(get_database(), job_id, f"{exception.get('type')}: {exception.get('message')}")


@dramatiq.actor(actor_name="recompute_coverage", max_retries=3, throws=(JobFailed,))
def recompute_coverage(job_id: int) -> None:
    """Recalculate all coverage figures (job kind ``coverage``)."""
    db = get_database()

    def work(_claim: Any) -> None:
        from shared.jobs import finish
        from shared.models import JobStatus

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
