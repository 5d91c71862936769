"""Import jobs: creation, claiming, progress and outcome.

A message can arrive twice (a retry, a redelivery after a worker died). Actors therefore take
a job id and *claim* the job with one conditional UPDATE: a job that already finished is never
run again, and a job that is "running" is taken over only when its heartbeat is older than
``stale_after()`` (its worker died). Progress is written in short transactions of its own, so
readers see it while the job's main transaction is still open.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.audit import Actor
from shared.db import Database
from shared.models import ImportJob, JobKind, JobPhase, JobStatus, utcnow

log = logging.getLogger(__name__)


def worker_id() -> str:
    """Which process takes a job: host and pid, for operators watching a job that hangs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def stale_after() -> timedelta:
    from shared.config import get_settings

    return timedelta(seconds=get_settings().job_stale_after_seconds)


class JobFailed(Exception):
    """A job ended for a reason the operator must read (bad input, a conflict): no retry."""


@dataclass(frozen=True, slots=True)
class Claim:
    job_id: int
    attempt: int


def create_job(
    session: Session,
    kind: JobKind,
    *,
    source_path: str | None = None,
    source_name: str | None = None,
    source_sha256: str | None = None,
    params: dict[str, Any] | None = None,
    dry_run: bool = False,
    requested_by: str | None = None,
    request_id: str | None = None,
    actor: Actor | None = None,
) -> ImportJob:
    """Create a queued job in the caller's transaction.

    With an ``actor`` (who asked: an API key, the CLI), the request itself is written to the
    audit log in the same transaction, so a job that is refused, fails or never runs is still
    traceable to whoever asked for it.
    """
    if actor is not None:
        requested_by = requested_by or actor.name
        request_id = request_id or actor.request_id
    job = ImportJob(
        kind=kind,
        status=JobStatus.queued,
        phase=JobPhase.queued,
        source_path=source_path,
        source_name=source_name,
        source_sha256=source_sha256,
        params=params or {},
        dry_run=dry_run,
        requested_by=requested_by,
        request_id=request_id,
        counts={},
        errors=[],
        warnings=[],
        timings={},
    )
    session.add(job)
    session.flush()
    if actor is not None:
        audit.record(
            session,
            actor,
            f"queue_{kind.value}_job",
            target_type="import_job",
            target_id=job.id,
            after={
                "kind": kind.value,
                "source_name": source_name,
                "source_sha256": source_sha256,
                "dry_run": dry_run,
                "params": params or {},
            },
        )
    return job


def claim(db: Database, job_id: int, *, now: datetime | None = None) -> Claim | None:
    """Take the job for this worker, or return None when it is done or alive elsewhere."""
    now = now or utcnow()
    with db.transaction() as session:
        result = session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == job_id,
                or_(
                    ImportJob.status == JobStatus.queued,
                    (ImportJob.status == JobStatus.running)
                    & (
                        or_(
                            ImportJob.heartbeat_at.is_(None),
                            ImportJob.heartbeat_at < now - stale_after(),
                        )
                    ),
                ),
            )
            .values(
                status=JobStatus.running,
                started_at=now,
                heartbeat_at=now,
                attempts=ImportJob.attempts + 1,
                worker_id=worker_id(),
            )
            .returning(ImportJob.attempts)
        )
        attempt = result.scalar_one_or_none()
    if attempt is None:
        log.info("job %s is finished or running elsewhere; message ignored", job_id)
        return None
    return Claim(job_id=job_id, attempt=attempt)


def progress(
    db: Database,
    job_id: int,
    *,
    phase: JobPhase | None = None,
    rows_done: int | None = None,
    rows_total: int | None = None,
    **fields: Any,
) -> None:
    """Record progress in a transaction of its own (visible at once); doubles as heartbeat."""
    values: dict[str, Any] = {"heartbeat_at": utcnow(), **fields}
    if phase is not None:
        values["phase"] = phase
    if rows_done is not None:
        values["rows_done"] = rows_done
    if rows_total is not None:
        values["rows_total"] = rows_total
    with db.transaction() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values))


def finish(
    session: Session, job_id: int, status: JobStatus, message: str | None = None, **fields: Any
) -> None:
    """Close the job in the caller's transaction (so the outcome commits with the data)."""
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            status=status,
            phase=JobPhase.done,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
            message=message,
            **fields,
        )
    )


def fail(db: Database, job_id: int, message: str, **fields: Any) -> None:
    with db.transaction() as session:
        finish(session, job_id, JobStatus.failed, message, **fields)


def run_claimed(db: Database, job_id: int, work: Callable[[Claim], None]) -> bool:
    """Claim the job and run ``work``; record a failure with its reason.

    ``JobFailed`` is final (the input is wrong). Any other exception is recorded on the job and
    re-raised so Dramatiq retries it; the job goes back to ``queued`` for the retry.
    Returns whether the work ran.
    """
    claimed = claim(db, job_id)
    if claimed is None:
        _defer_if_alive_elsewhere(db, job_id)
        return False
    heartbeat = _Heartbeat(db, job_id)
    heartbeat.start()
    try:
        work(claimed)
    except JobFailed as exc:
        fail(db, job_id, str(exc))
    except Exception as exc:
        log.exception("job %s attempt %s crashed", job_id, claimed.attempt)
        reason = f"{type(exc).__name__}: {exc}"
        with db.transaction() as session:
            session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id)
                .values(
                    status=JobStatus.queued,
                    phase=JobPhase.queued,
                    message=f"attempt {claimed.attempt} failed, will retry: {reason}",
                    heartbeat_at=None,
                )
            )
        raise
    finally:
        heartbeat.stop()
    refresh_statistics(db, job_id)
    return True


# Tables a bulk job rewrites: their planner statistics are refreshed after it. Without it the
# national registry import leaves PostgreSQL estimating 7,650 cooperatives for 83,404 and
# choosing plans that are 10x slower until autovacuum comes round.
_BULK_TABLES: dict[JobKind, tuple[str, ...]] = {
    JobKind.villages: ("regions", "region_changes", "cooperative_villages"),
    JobKind.cooperatives: (
        "cooperatives",
        "cooperative_villages",
        "stage_events",
        "outlets",
        "officers",
        "member_counts",
        "proposals",
        "proposal_villages",
    ),
}


def refresh_statistics(db: Database, job_id: int) -> None:
    """After a bulk job succeeded on PostgreSQL: ANALYZE the tables it rewrote."""
    if db.settings.is_sqlite:
        return
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != JobStatus.succeeded or job.dry_run:
            return
        tables = _BULK_TABLES.get(job.kind, ())
    if not tables:
        return
    try:
        with db.sync_engine.connect() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")
            conn.commit()
    except Exception:  # statistics are an optimisation; the job itself succeeded
        log.warning("could not analyze %s after job %s", tables, job_id, exc_info=True)


class _Heartbeat(threading.Thread):
    """Keeps a running job's heartbeat fresh, so that only a dead worker's job is taken over.

    Long phases (one big write transaction) report no progress for a while; the heartbeat is
    written from its own connection meanwhile. SQLite needs none: the embedded runtime has one
    process, and its start resumes what the last one left (``recover_interrupted_jobs``).
    """

    def __init__(self, db: Database, job_id: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.db = db
        self.job_id = job_id
        self.interval = max(stale_after().total_seconds() / 4, 0.5)
        self._stopped = threading.Event()

    def run(self) -> None:
        if self.db.settings.is_sqlite:
            return
        while not self._stopped.wait(self.interval):
            try:
                with self.db.transaction() as session:
                    session.execute(
                        update(ImportJob)
                        .where(ImportJob.id == self.job_id, ImportJob.status == JobStatus.running)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # a missed beat is retried; the job itself reports its failure
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()


def _defer_if_alive_elsewhere(db: Database, job_id: int) -> None:
    """A redelivered message whose job looks alive: look again once it would be stale.

    A worker that was killed leaves its job "running" with a heartbeat that stops; the broker
    may redeliver the message before that heartbeat is stale. Dropping the message then would
    leave the job running forever, so it is sent again, delayed, until the job either finishes
    (and the message is dropped) or is stale (and this worker takes it over).
    """
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != JobStatus.running:
            return
        beat = job.heartbeat_at or job.started_at or utcnow()
    delay = (beat + stale_after() - utcnow()).total_seconds() + 1
    from dramatiq.middleware import CurrentMessage

    message = CurrentMessage.get_current_message()
    if message is None:
        return
    from shared.broker import get_broker

    log.info("job %s looks alive elsewhere; looking again in %.0fs", job_id, delay)
    get_broker().enqueue(message.copy(), delay=max(int(delay * 1000), 1000))


def give_up(db: Database, job_id: int, reason: str) -> None:
    """Mark a job failed after its last retry (called from the actor's failure callback)."""
    with db.transaction() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status in (JobStatus.succeeded, JobStatus.failed):
            return
        finish(
            session,
            job_id,
            JobStatus.failed,
            f"gave up after {job.attempts} attempts: {reason}",
        )
        log.error("job %s failed for good: %s", job_id, reason)


def get_job(session: Session, job_id: int) -> ImportJob | None:
    return session.execute(select(ImportJob).where(ImportJob.id == job_id)).scalar_one_or_none()


FAILURE_CALLBACK = "job_gave_up"


# The actor that runs each kind of job (names, so shared/ need not import the worker).
JOB_ACTORS: dict[JobKind, str] = {
    JobKind.villages: "import_villages",
    JobKind.cooperatives: "import_cooperatives",
    JobKind.coverage: "recompute_coverage",
}


def enqueue_job(actor_name: str, job_id: int, *, delay_ms: int | None = None) -> str:
    """Send a job's message (after its row has committed); a spent job is marked failed.

    When the broker cannot take the message (Redis down), the job is marked failed with that
    reason at once, so no accepted job waits forever for a message that was never sent, and
    ``BrokerUnavailable`` goes up to the caller to answer clearly.
    """
    from shared.broker import BrokerUnavailable, enqueue
    from shared.db import get_database

    try:
        return enqueue(actor_name, job_id, delay_ms=delay_ms, on_failure=FAILURE_CALLBACK)
    except BrokerUnavailable as exc:
        fail(get_database(), job_id, f"not started: {exc}")
        raise


def recover_interrupted_jobs(db: Database) -> list[int]:
    """Embedded runtime, at start: resume jobs the last process left queued or running.

    The in-process broker keeps messages in memory, so a restart loses them; the job rows say
    what was accepted. Running jobs died with the process (their transaction rolled back), so
    they go back to queued and run again from the start. Returns the ids resumed.
    """
    with db.transaction() as session:
        jobs = (
            session.execute(
                select(ImportJob)
                .where(ImportJob.status.in_((JobStatus.queued, JobStatus.running)))
                .order_by(ImportJob.id)
            )
            .scalars()
            .all()
        )
        for job in jobs:
            if job.status == JobStatus.running:
                job.message = f"interrupted by a restart during {job.phase.value}; resumed"
            job.status = JobStatus.queued
            job.phase = JobPhase.queued
            job.heartbeat_at = None
        resumed = [(job.id, job.kind) for job in jobs]
    for job_id, kind in resumed:
        log.info("resuming job %s (%s) after a restart", job_id, kind.value)
        enqueue_job(JOB_ACTORS[kind], job_id)
    return [job_id for job_id, _ in resumed]


def request_coverage_recompute(
    db: Database,
    *,
    requested_by: str | None = None,
    request_id: str | None = None,
    actor: Actor | None = None,
) -> ImportJob:
    """Create a coverage job and enqueue it (audited when an ``actor`` asks)."""
    with db.transaction() as session:
        job = create_job(
            session,
            JobKind.coverage,
            requested_by=requested_by,
            request_id=request_id,
            actor=actor,
        )
    enqueue_job("recompute_coverage", job.id)
    return job
