"""Job rows: create, claim, record progress, end; every write to ``import_jobs`` is here.

A message can arrive twice (a retry, a redelivery after a worker died), so a job is *claimed*
with one conditional UPDATE: a job that already finished is never run again, and a job that is
"running" is taken over only when its heartbeat is older than ``stale_after()`` (its worker
died). Progress is written in short transactions of its own, so readers see it while the job's
main transaction is still open; the end is written in the caller's transaction, so a job's
outcome commits with its data.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from shared.audit import Actor, record
from shared.config import get_settings
from shared.copying import fields_from
from shared.db import Database
from shared.models import ImportJob, JobKind, JobPhase, JobStatus, utcnow
from shared.safe_text import MESSAGE_CHARS, NAME_CHARS, storable

log = logging.getLogger(__name__)

FINISHED = (JobStatus.succeeded, JobStatus.failed)
# Phases in which a running job holds its kind's exclusivity (see ``take_exclusive``).
ACTIVE_PHASES = (JobPhase.reading, JobPhase.validating, JobPhase.comparing, JobPhase.writing)
# PostgreSQL advisory transaction locks serialising ``take_exclusive``, one per job kind: any
# fixed 64-bit numbers, the same in every process.
_EXCLUSIVE_LOCK_BASE = 0x6B6F70646573_00


def worker_id() -> str:
    """Which process takes a job: host and pid, for operators watching a job that hangs."""
    return f"{socket.gethostname()}:{os.getpid()}"


def stale_after() -> timedelta:
    return timedelta(seconds=get_settings().job_stale_after_seconds)


@dataclass(frozen=True, slots=True)
class Claim:
    job_id: int
    attempt: int


@dataclass(frozen=True, slots=True)
class JobInput:
    """What a flow needs to know about its job, read once when it starts."""

    id: int
    kind: JobKind
    params: dict[str, Any]
    dry_run: bool
    source_path: str | None
    source_name: str | None
    source_sha256: str | None
    actor: Actor  # who asked: the audit entries of the outcome name them
    # Where the job's stored input files were staged for this run (None: paths are the
    # caller's own, as in a run in the calling process).
    folder: Path | None = None

    def local(self, path: str) -> Path:
        """A path of the job's parameters as a file of this run."""
        return self.folder / path if self.folder is not None else Path(path)

    def stored_files(self) -> list[tuple[int, str]]:
        """The stored files the job reads: (file id, path relative to the staging folder)."""
        return [(int(f["id"]), str(f["path"])) for f in self.params.get("files") or []]


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
    traceable to whoever asked for it. The actor's key is kept in the parameters, so the
    outcome's audit entry names it too.
    """
    params = dict(params or {})
    source_name = None if source_name is None else storable(source_name, NAME_CHARS)
    if actor is not None:
        requested_by = requested_by or actor.name
        request_id = request_id or actor.request_id
        params.setdefault("api_key_id", actor.api_key_id)
    job = ImportJob(
        kind=kind,
        status=JobStatus.queued,
        phase=JobPhase.queued,
        source_path=source_path,
        source_name=source_name,
        source_sha256=source_sha256,
        params=params,
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
        record(
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
                "params": params,
            },
        )
    return job


def get_job(session: Session, job_id: int) -> ImportJob | None:
    return session.execute(select(ImportJob).where(ImportJob.id == job_id)).scalar_one_or_none()


def load_job(db: Database, job_id: int) -> ImportJob:
    """The job as it stands now (detached: safe to read after the session closed)."""
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None, f"job {job_id} vanished"
        return job


def load_input(db: Database, job_id: int) -> JobInput:
    job = load_job(db, job_id)
    params: dict[str, Any] = job.params or {}
    actor = Actor(job.requested_by or "system", params.get("api_key_id"), job.request_id)
    return fields_from(JobInput, job, params=params, actor=actor)


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


def take_exclusive(db: Database, job_id: int, kind: JobKind) -> tuple[int, JobPhase] | None:
    """Make ``job_id`` the one active job of its kind, unless another one is: then that one.

    The check and the move to the reading phase are one serialised transaction (PostgreSQL: an
    advisory transaction lock; SQLite's BEGIN IMMEDIATE already admits one writer at a time).
    Another job holds the kind while it is running in an active phase with a fresh heartbeat.
    """
    now = utcnow()
    with db.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            key = _EXCLUSIVE_LOCK_BASE + list(JobKind).index(kind) + 1
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        holder = session.execute(
            select(ImportJob.id, ImportJob.phase)
            .where(
                ImportJob.kind == kind,
                ImportJob.status == JobStatus.running,
                ImportJob.phase.in_(ACTIVE_PHASES),
                ImportJob.id != job_id,
                ImportJob.heartbeat_at >= now - stale_after(),
            )
            .limit(1)
        ).first()
        if holder is not None:
            return int(holder.id), holder.phase
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(phase=JobPhase.reading, heartbeat_at=now)
        )
    return None


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


def beat(db: Database, job_id: int) -> None:
    """Refresh a running job's heartbeat (from a connection of its own)."""
    with db.transaction() as session:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == JobStatus.running)
            .values(heartbeat_at=utcnow())
        )


def end(
    session: Session, job_id: int, status: JobStatus, message: str | None = None, **fields: Any
) -> None:
    """Close the job in the caller's transaction (so the outcome commits with the data)."""
    now = utcnow()
    if message is not None:
        message = storable(message, MESSAGE_CHARS)
    session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(
            status=status,
            phase=JobPhase.done,
            finished_at=now,
            heartbeat_at=now,
            message=message,
            **fields,
        )
    )


def fail(db: Database, job_id: int, message: str, *, unless_finished: bool = False) -> None:
    """Mark the job failed in a transaction of its own (``unless_finished``: leave an ended
    job as it ended)."""
    with db.transaction() as session:
        if unless_finished:
            status = session.execute(
                select(ImportJob.status).where(ImportJob.id == job_id)
            ).scalar_one_or_none()
            if status is None or status in FINISHED:
                return
        end(session, job_id, JobStatus.failed, message)


RETRY_PREFIX = "will retry after attempt {attempt}: "


def requeue(db: Database, job_id: int, attempt: int, reason: str) -> None:
    """Put a job whose attempt failed for a transient reason back in the queue for the
    broker's retry, saying why; the audit log records the retry."""
    with db.transaction() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status in FINISHED:
            return
        job.status = JobStatus.queued
        job.phase = JobPhase.queued
        job.message = RETRY_PREFIX.format(attempt=attempt) + reason
        job.heartbeat_at = None
        record(
            session,
            _job_actor(job),
            "job.retry",
            target_type="import_job",
            target_id=job_id,
            after={"attempt": attempt, "reason": reason},
        )


def give_up(db: Database, job_id: int, *, retried: int) -> None:
    """Mark a job failed once its retries are spent (``on_retry_exhausted``), with the
    reason of its last attempt; the audit log records it."""
    with db.transaction() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status in FINISHED:
            return
        last = (job.message or "").partition(": ")[2] or (job.message or "unknown")
        message = f"failed for good after {job.attempts} attempts ({retried} retries): {last}"
        end(session, job_id, JobStatus.failed, message)
        record(
            session,
            _job_actor(job),
            "job.gave_up",
            target_type="import_job",
            target_id=job_id,
            after={"attempts": job.attempts, "reason": last},
        )
        log.error("job %s failed for good: %s", job_id, last)


def _job_actor(job: ImportJob) -> Actor:
    params: dict[str, Any] = job.params or {}
    return Actor(job.requested_by or "system", params.get("api_key_id"), job.request_id)


def end_superseded(
    session: Session, kind: JobKind, *, through: int, running: int, message: str
) -> int:
    """Close the queued jobs of a kind up to id ``through`` that the running job made moot."""
    done = session.execute(
        update(ImportJob)
        .where(
            ImportJob.kind == kind,
            ImportJob.status == JobStatus.queued,
            ImportJob.id <= through,
            ImportJob.id != running,
        )
        .values(
            status=JobStatus.succeeded,
            phase=JobPhase.done,
            finished_at=utcnow(),
            message=message,
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)


def heartbeat_of_running(db: Database, job_id: int) -> datetime | None:
    """When a running job last showed life (None when it is not running)."""
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        if job is None or job.status != JobStatus.running:
            return None
        return job.heartbeat_at or job.started_at or utcnow()


def requeue_interrupted(db: Database) -> list[tuple[int, JobKind]]:
    """Put the jobs a stopped process left queued or running back in the queue.

    Running jobs died with the process (their transaction rolled back), so they run again from
    the start. Returns (id, kind) of each, oldest first.
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
        return [(job.id, job.kind) for job in jobs]


def count_jobs(db: Database) -> list[tuple[str, str, int]]:
    """(kind, status, number of jobs) for every pair present: the metrics' job gauges."""
    with db.sync_session() as session:
        rows = session.execute(
            select(ImportJob.kind, ImportJob.status, func.count()).group_by(
                ImportJob.kind, ImportJob.status
            )
        ).all()
    return [(kind.value, status.value, int(n)) for kind, status, n in rows]


def list_jobs(
    db: Database,
    *,
    kind: JobKind | None = None,
    status: JobStatus | None = None,
    limit: int = 20,
) -> list[ImportJob]:
    """The newest jobs first, of a kind and status if given (``kopdes jobs list``)."""
    query = select(ImportJob).order_by(ImportJob.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(ImportJob.kind == kind)
    if status is not None:
        query = query.where(ImportJob.status == status)
    with db.sync_session() as session:
        return list(session.scalars(query))
