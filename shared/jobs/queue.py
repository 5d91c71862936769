"""Sending jobs to their actors, by name, and getting back jobs a restart interrupted."""

from __future__ import annotations

import logging

from dramatiq.middleware import CurrentMessage

from shared.broker import BrokerUnavailable, enqueue, get_broker
from shared.db import Database, get_database
from shared.jobs import store
from shared.jobs.actors import ACTOR_OF, JOB_GAVE_UP
from shared.models import utcnow

log = logging.getLogger(__name__)


def enqueue_job(actor_name: str, job_id: int, *, delay_ms: int | None = None) -> str:
    """Send a job's message (after its row has committed); when its retries are spent,
    ``job_gave_up`` marks it failed.

    When the broker cannot take the message (Redis down), the job is marked failed with that
    reason at once, so no accepted job waits forever for a message that was never sent, and
    ``BrokerUnavailable`` goes up to the caller to answer clearly.
    """
    try:
        return enqueue(actor_name, job_id, delay_ms=delay_ms, on_retry_exhausted=JOB_GAVE_UP)
    except BrokerUnavailable as exc:
        store.fail(get_database(), job_id, f"not started: {exc}")
        raise


def look_again_later(db: Database, job_id: int) -> None:
    """A redelivered message whose job looks alive: send it again for when it would be stale.

    A worker that was killed leaves its job "running" with a heartbeat that stops; the broker
    may redeliver the message before that heartbeat is stale. Dropping the message then would
    leave the job running forever, so it is sent again, delayed, until the job either finishes
    (and the message is dropped) or is stale (and a worker takes it over).
    """
    beat = store.heartbeat_of_running(db, job_id)
    if beat is None:
        return
    message = CurrentMessage.get_current_message()
    if message is None:
        return
    delay = (beat + store.stale_after() - utcnow()).total_seconds() + 1
    log.info("job %s looks alive elsewhere; looking again in %.0fs", job_id, delay)
    get_broker().enqueue(message.copy(), delay=max(int(delay * 1000), 1000))


def recover_interrupted_jobs(db: Database) -> list[int]:
    """Embedded runtime, at start: resume jobs the last process left queued or running.

    The in-process broker keeps messages in memory, so a restart loses them; the job rows say
    what was accepted. Returns the ids resumed.
    """
    resumed = store.requeue_interrupted(db)
    for job_id, kind in resumed:
        log.info("resuming job %s (%s) after a restart", job_id, kind.value)
        enqueue_job(ACTOR_OF[kind], job_id)
    return [job_id for job_id, _ in resumed]
