"""Sending jobs to their actors, by name, and getting back jobs a restart interrupted."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from dramatiq.middleware import CurrentMessage
from sqlalchemy import select

from shared.broker import BrokerUnavailable, enqueue, get_broker
from shared.db import Database, get_database
from shared.jobs import store
from shared.jobs.actors import ACTOR_OF, JOB_GAVE_UP
from shared.models import ImportJob, JobStatus, utcnow

log = logging.getLogger(__name__)

# The jobs whose message this process sent (the embedded runtime's pick-up leaves them to it).
_sent: set[int] = set()
_sent_lock = threading.Lock()
# A queued job younger than this is left to the process that created it (a CLI command runs
# its own); an older one is taken by the serving process.
PICK_UP_AFTER = timedelta(seconds=2)


def enqueue_job(actor_name: str, job_id: int, *, delay_ms: int | None = None) -> str:
    """Send a job's message (after its row has committed); when its retries are spent,
    ``job_gave_up`` marks it failed.

    When the broker cannot take the message (Redis down), the job is marked failed with that
    reason at once, so no accepted job waits forever for a message that was never sent, and
    ``BrokerUnavailable`` goes up to the caller to answer clearly.
    """
    try:
        message_id = enqueue(actor_name, job_id, delay_ms=delay_ms, on_retry_exhausted=JOB_GAVE_UP)
    except BrokerUnavailable as exc:
        store.fail(get_database(), job_id, f"not started: {exc}")
        raise
    with _sent_lock:
        _sent.add(job_id)
    return message_id


def pick_up_queued(db: Database) -> list[int]:
    """The embedded runtime's serving process: send the queued jobs that no message of this
    process carries (accepted by another process, a CLI command, whose in-memory queue may
    have died with it), once they are ``PICK_UP_AFTER`` old. Returns the ids sent.

    A job that another process is running meanwhile is claimed by one of them only; the other
    message finds it taken.
    """
    with db.sync_session() as session:
        rows = session.execute(
            select(ImportJob.id, ImportJob.kind, ImportJob.status, ImportJob.created_at)
            .where(ImportJob.status.in_((JobStatus.queued, JobStatus.running)))
            .order_by(ImportJob.id)
        ).all()
    cutoff = utcnow() - PICK_UP_AFTER
    with _sent_lock:
        _sent.intersection_update(row.id for row in rows)  # forget finished jobs
        orphans = [
            (row.id, row.kind)
            for row in rows
            if row.status == JobStatus.queued and row.created_at < cutoff and row.id not in _sent
        ]
    for job_id, kind in orphans:
        log.info("picking up queued job %s (%s) accepted elsewhere", job_id, kind.value)
        enqueue_job(ACTOR_OF[kind], job_id)
    return [job_id for job_id, _ in orphans]


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
