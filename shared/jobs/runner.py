"""The job runner: it owns a job's life, from claim to end; flows do the work in between.

A job kind's work is a :class:`Flow`. Its ``run`` reads, validates and compares, reporting
progress through the one callback it is given, and returns either the job's :class:`Outcome`
(nothing to write: bad input, a dry run, nothing changed) or the write step. The runner runs
the write step in one transaction and stores the outcome it returns in that same transaction,
so a job's end commits with its data, or neither does. A write step that decides to write
nothing after all (problems found against the database, a dry run) raises
:class:`WriteNothing` with its outcome: its writes roll back and the outcome is stored alone.

Two ways to run: :func:`run_claimed` for actors (a crash puts the job back in the queue and is
re-raised for the broker to retry; ``JobFailed`` is final), :func:`run_here` in this process
(tests, demo loaders, the CLI's ``--wait`` without a worker: any failure is final).
"""

from __future__ import annotations

import contextvars
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import Histogram
from sqlalchemy.orm import Session

from shared.audit import record
from shared.db import Database
from shared.errors import ServiceError
from shared.files import stage, sweep_expired
from shared.jobs import store
from shared.jobs.faults import is_transient
from shared.jobs.queue import look_again_later
from shared.jobs.store import JobInput
from shared.logs import job_context
from shared.models import ImportJob, JobKind, JobStatus
from shared.safe_text import MESSAGE_CHARS, storable

log = logging.getLogger(__name__)

JOB_DURATION = Histogram(
    "kopdes_job_duration_seconds",
    "Time from claim to end of a job run, by kind and how it ended"
    " (succeeded, failed, retried: a transient fault, crashed: an unexpected error)",
    ["kind", "status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)


class JobFailed(Exception):
    """A job ended for a reason the operator must read (a conflict, a refusal): no retry."""


@dataclass(frozen=True, slots=True)
class AuditNote:
    """The audit entry of an outcome (written with the job's actor, in the outcome's
    transaction)."""

    operation: str
    target_type: str
    target_id: str | int
    after: dict[str, Any]


@dataclass(slots=True)
class Outcome:
    """How a job ended: its status, a sentence, and the job columns to set (counts, diff,
    timings, errors and warnings...)."""

    succeeded: bool
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    audit: AuditNote | None = None
    wrote: bool = False  # rows were written: the flow's tables get fresh statistics


@dataclass(slots=True)
class Timer:
    """Seconds per phase of a flow, for the job's ``timings``."""

    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=time.perf_counter)

    def mark(self, phase: str) -> None:
        """The phase that has just ended."""
        now = time.perf_counter()
        self.marks[phase] = round(now - self._last, 3)
        self._last = now

    def done(self) -> dict[str, float]:
        return {**self.marks, "total": round(time.perf_counter() - self.started, 3)}


class WriteNothing(Exception):
    """Raised by a write step: end the job with this outcome, and roll its writes back."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


class Progress(Protocol):
    """The one callback a flow reports through (a phase, rows done and in all, job columns)."""

    def __call__(self, **fields: Any) -> None: ...


Write = Callable[[Session], Outcome]


@dataclass(frozen=True, slots=True)
class Flow:
    """What one kind of job does."""

    kind: JobKind
    title: str  # for people: "village-list import"
    run: Callable[[Database, JobInput, Progress], Outcome | Write]
    # Tables the job bulk-writes: ANALYZEd after a worker's run that wrote, so PostgreSQL's
    # planner does not estimate 7,650 cooperatives for 83,404 until autovacuum comes round.
    bulk_tables: tuple[str, ...] = ()
    # ANALYZE after a run in this process too: where what follows it in the same process reads
    # those tables at once (the demo loaders recalculate coverage right after a registry
    # import). Elsewhere the in-process run (tests, benchmarks) does not pay for it.
    analyze_in_process: bool = False
    # One job of this kind at a time, across processes: a second is refused, naming the first.
    exclusive: bool = False


def run_claimed(db: Database, job_id: int, flow: Flow) -> bool:
    """An actor's work: claim the job and run its flow; returns whether it ran.

    A message for a job that is finished, or alive elsewhere, does nothing (and in the latter
    case is looked at again once that job would be stale).
    """
    with job_context(job_id=job_id, kind=flow.kind.value):
        try:
            claimed = store.claim(db, job_id)
        except Exception as exc:
            # Nothing was taken (the database is out of reach?): the message is retried as a
            # whole; the job stays queued, its attempts unchanged.
            if is_transient(exc):
                log.warning("job %s could not be claimed (transient, retried): %s", job_id, exc)
            raise
        if claimed is None:
            look_again_later(db, job_id)
            return False
        with job_context(attempt=claimed.attempt):
            log.info("%s started", flow.title)
            heartbeat = _Heartbeat(db, job_id)
            heartbeat.start()
            started = time.perf_counter()
            try:
                outcome = _execute(db, job_id, flow)
            except Exception as exc:
                _observe(flow, started, exc)
                _fail(db, job_id, claimed.attempt, exc, retries=True)
                return True
            finally:
                heartbeat.stop()
                # Housekeeping where the work happens: no scheduler to run, one indexed query
                # a job.
                sweep_expired(db)
            _observe(flow, started, outcome)
            _refresh_statistics(db, flow, outcome)
            return True


def run_here(db: Database, job_id: int, flow: Flow) -> ImportJob:
    """Claim a created job and run its flow in this process; return the job as it ended.

    No retries: a failure ends the job, and an unexpected one is re-raised after that.
    """
    with job_context(job_id=job_id, kind=flow.kind.value):
        claimed = store.claim(db, job_id)
        if claimed is not None:
            with job_context(attempt=claimed.attempt):
                log.info("%s started", flow.title)
                started = time.perf_counter()
                try:
                    outcome = _execute(db, job_id, flow)
                except Exception as exc:
                    _observe(flow, started, exc)
                    _fail(db, job_id, None, exc, retries=False)
                else:
                    _observe(flow, started, outcome)
                    if flow.analyze_in_process:
                        _refresh_statistics(db, flow, outcome)
    return store.load_job(db, job_id)


def _observe(flow: Flow, started: float, ended: Outcome | Exception) -> None:
    """The run's line in the log and its duration in the metrics."""
    if isinstance(ended, Outcome):
        status = "succeeded" if ended.succeeded else "failed"
        message = ended.message
    elif isinstance(ended, JobFailed):
        status, message = "failed", str(ended)
    else:  # a transient fault is retried; anything else is a crash (a bug, bad data)
        status = "retried" if is_transient(ended) else "crashed"
        message = f"{type(ended).__name__}: {ended}"
    seconds = time.perf_counter() - started
    JOB_DURATION.labels(flow.kind.value, status).observe(seconds)
    log.info("%s %s in %.2fs: %s", flow.title, status, seconds, message)


def _execute(db: Database, job_id: int, flow: Flow) -> Outcome:
    if flow.exclusive:
        holder = store.take_exclusive(db, job_id, flow.kind)
        if holder is not None:
            other, phase = holder
            raise JobFailed(
                f"another {flow.title} (job {other}, {phase.value}) is running; only one runs"
                " at a time: try again when it has finished"
            )
    with staged(db, store.load_input(db, job_id)) as job:
        step = flow.run(db, job, partial(store.progress, db, job_id))
    if isinstance(step, Outcome):
        with db.transaction() as session:
            _store(session, job, step)
        return step
    try:
        with db.transaction() as session:
            outcome = step(session)
            _store(session, job, outcome)
    except WriteNothing as refused:
        with db.transaction() as session:
            _store(session, job, refused.outcome)
        return refused.outcome
    return outcome


@contextmanager
def staged(db: Database, job: JobInput) -> Iterator[JobInput]:
    """The job with its stored input files written to a private folder for this run (the
    readers need real files: zip and XLSX seek); the folder goes when the run ends. The
    flow's reading happens inside; its write step reads nothing from the files."""
    files = job.stored_files()
    if not files:
        yield job
        return
    with tempfile.TemporaryDirectory(prefix=f"kopdes-job-{job.id}-") as tmp:
        with db.sync_session() as session:
            try:
                stage(session, files, Path(tmp))
            except LookupError as exc:
                raise JobFailed(
                    f"the job's input file is no longer stored ({exc}): upload it again"
                ) from exc
        yield replace(job, folder=Path(tmp))


def _store(session: Session, job: JobInput, outcome: Outcome) -> None:
    status = JobStatus.succeeded if outcome.succeeded else JobStatus.failed
    store.end(session, job.id, status, outcome.message, **outcome.fields)
    note = outcome.audit
    if note is not None:
        record(
            session,
            job.actor,
            note.operation,
            target_type=note.target_type,
            target_id=note.target_id,
            after=note.after,
        )


def _fail(db: Database, job_id: int, attempt: int | None, exc: Exception, *, retries: bool) -> None:
    """The one place a failed run is judged and its job ended.

    A refusal (``JobFailed``, a ``ServiceError``) is final: the job fails with its reason.
    A transient failure (``shared.jobs.faults``: a lost connection, a deadlock...) with
    ``retries`` (an actor) puts the job back in the queue, attempts counted, and goes up so
    that Dramatiq retries it with backoff; once the retries are spent, ``job_gave_up`` ends the
    job. Anything else is a fault that another attempt would meet again: the job fails at once
    with the exception's name. Without ``retries`` (a run in this process) every failure is
    final, and an unexpected one goes up after the job has ended.
    """
    if isinstance(exc, JobFailed | ServiceError):
        store.fail(db, job_id, storable(str(exc), MESSAGE_CHARS), unless_finished=not retries)
        return
    reason = storable(f"{type(exc).__name__}: {exc}", MESSAGE_CHARS)
    if retries and is_transient(exc):
        log.warning("job %s attempt %s failed (transient, retried): %s", job_id, attempt, reason)
        store.requeue(db, job_id, attempt or 0, reason)
        raise exc
    log.error("job %s failed: %s", job_id, reason, exc_info=exc)
    store.fail(db, job_id, reason, unless_finished=True)
    if not retries:
        raise exc


def _refresh_statistics(db: Database, flow: Flow, outcome: Outcome) -> None:
    """After a job that bulk-wrote, on PostgreSQL: ANALYZE the tables its flow declares."""
    if db.settings.is_sqlite or not outcome.wrote or not flow.bulk_tables:
        return
    try:
        with db.sync_engine.connect() as conn:
            conn.exec_driver_sql(f"ANALYZE {', '.join(flow.bulk_tables)}")
            conn.commit()
    except Exception:  # statistics are an optimisation; the job itself succeeded
        log.warning("could not analyze %s after a %s", flow.bulk_tables, flow.title, exc_info=True)


class _Heartbeat(threading.Thread):
    """Keeps a running job's heartbeat fresh, so that only a dead worker's job is taken over.

    Long phases (one big write transaction) report no progress for a while; the heartbeat is
    written from its own connection meanwhile. SQLite needs none: the embedded runtime has one
    process, and its start resumes what the last one left (``queue.recover_interrupted_jobs``).
    """

    def __init__(self, db: Database, job_id: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.db = db
        self.job_id = job_id
        self.interval = max(store.stale_after().total_seconds() / 4, 0.5)
        self._stopped = threading.Event()
        self._context = contextvars.copy_context()  # its lines carry the job's fields

    def run(self) -> None:
        self._context.run(self._beat)

    def _beat(self) -> None:
        if self.db.settings.is_sqlite:
            return
        while not self._stopped.wait(self.interval):
            try:
                store.beat(self.db, self.job_id)
            except Exception:  # a missed beat is retried; the job itself reports its failure
                log.warning("heartbeat of job %s failed", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
