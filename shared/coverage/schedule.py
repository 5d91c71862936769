"""Telling coverage that the data changed, and coalescing the recalculations that follow.

Every service that changes what coverage depends on (villages, cooperatives, their villages,
stages, outlets, proposals) calls :func:`note_change` in its transaction. That bumps the data
version (so current figures read as stale at once) and, once the transaction has committed,
asks for a recalculation with :func:`request_recompute`.

A burst of changes must lead to one recalculation, across processes. A request locks the
single ``data_state`` row (so requesters from every process queue up on it) and goes ahead
only when no request is pending (``coverage_requested_version <= coverage_version``); the one
that goes ahead marks the request pending and creates the job in the same transaction, then
enqueues it with a short delay so the rest of the burst lands before it runs. Every other
change of the burst finds the request pending and does nothing: the pending job reads the
data version when it runs, after them.
When the job starts it releases the request (:func:`release_request`) before reading the
data, so a change committed while it computes asks for a fresh run instead of being lost.

A request whose job never ran (its message lost, e.g. queued by a CLI process of the
embedded runtime that exited) would block every later one; a request is therefore treated
as pending only while a queued coverage job younger than ``ABANDONED_AFTER`` exists.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import event, exists, select, update
from sqlalchemy.orm import Session

from shared.audit import Actor
from shared.broker import BrokerUnavailable
from shared.data_version import bump_data_version
from shared.db import Database, get_database
from shared.jobs.actors import COVERAGE_RECOMPUTE
from shared.jobs.queue import enqueue_job
from shared.jobs.store import create_job
from shared.models import DataState, ImportJob, JobKind, JobStatus, utcnow

log = logging.getLogger(__name__)

_HOOKED = "kopdes_coverage_hooked"

# Long enough for a burst (a steward's edits, an import's follow-ups) to land in one run.
COALESCE_DELAY_MS = 500
ABANDONED_AFTER = timedelta(minutes=10)


def note_change(session: Session) -> int:
    """Bump the data version in the caller's transaction; recompute after it commits."""
    version = bump_data_version(session)
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "after_commit", _after_commit, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    return version


def _forget(session: Session) -> None:
    session.info.pop(_HOOKED, None)


def _after_commit(session: Session) -> None:
    session.info.pop(_HOOKED, None)
    try:
        request_recompute(get_database(), requested_by="system")
    except Exception:  # the data committed; a lost trigger only delays fresh figures
        log.exception("could not queue a coverage recalculation")


def request_recompute(
    db: Database,
    *,
    requested_by: str | None = "system",
    request_id: str | None = None,
    delay_ms: int = COALESCE_DELAY_MS,
) -> ImportJob | None:
    """Ask for a recalculation unless one is already pending; returns the new job, if any."""
    with db.transaction() as session:
        # The row lock queues concurrent requesters; each one's later statements then see the
        # job its predecessor committed (a READ COMMITTED statement takes a fresh snapshot).
        state = session.execute(
            select(
                DataState.data_version,
                DataState.coverage_version,
                DataState.coverage_requested_version,
            )
            .where(DataState.id == 1)
            .with_for_update()
        ).one()
        if state.coverage_version >= state.data_version:
            return None  # a run already counted this change
        if state.coverage_requested_version > state.coverage_version:
            live_job = session.execute(
                select(
                    exists().where(
                        ImportJob.kind == JobKind.coverage,
                        ImportJob.status == JobStatus.queued,
                        ImportJob.created_at > utcnow() - ABANDONED_AFTER,
                    )
                )
            ).scalar_one()
            if live_job:
                return None  # the pending run will read this change
        session.execute(
            update(DataState)
            .where(DataState.id == 1)
            .values(coverage_requested_version=DataState.data_version)
        )
        job = create_job(
            session,
            JobKind.coverage,
            params={"coalesced": True, "requested_at_version": int(state.data_version)},
            requested_by=requested_by,
            request_id=request_id,
        )
    try:
        enqueue_job(COVERAGE_RECOMPUTE, job.id, delay_ms=delay_ms)  # fails the job if refused
    except BrokerUnavailable:
        release_request(db)
        raise
    return job


def request_coverage_recompute(
    db: Database,
    *,
    requested_by: str | None = None,
    request_id: str | None = None,
    actor: Actor | None = None,
) -> ImportJob:
    """Queue a recalculation someone asked for, now, coalesced or not (audited with an
    ``actor``)."""
    with db.transaction() as session:
        job = create_job(
            session,
            JobKind.coverage,
            requested_by=requested_by,
            request_id=request_id,
            actor=actor,
        )
    enqueue_job(COVERAGE_RECOMPUTE, job.id)
    return job


def release_request(db: Database) -> None:
    """A coalesced job has started: the next change may request a new run."""
    with db.transaction() as session:
        session.execute(
            update(DataState).where(DataState.id == 1).values(coverage_requested_version=-1)
        )


def pending(session: Session) -> bool:
    """Whether a coalesced recalculation is waiting to run."""
    state = session.execute(
        select(DataState.coverage_requested_version, DataState.coverage_version).where(
            DataState.id == 1
        )
    ).one()
    return bool(state[0] > state[1])


__all__ = [
    "COALESCE_DELAY_MS",
    "note_change",
    "pending",
    "release_request",
    "request_coverage_recompute",
    "request_recompute",
]
