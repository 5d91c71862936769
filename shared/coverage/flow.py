"""The coverage job: recalculate every figure, as the worker does it or here and now."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from shared.changes import Change, emit, prune
from shared.coverage.schedule import release_request
from shared.coverage.service import read_state, recompute
from shared.db import Database
from shared.jobs import store
from shared.jobs.runner import Flow, Outcome, Progress, Write, run_here
from shared.jobs.store import JobInput
from shared.models import ChangeType, ImportJob, JobKind


def _run(db: Database, job: JobInput, _progress: Progress) -> Write:
    coalesced = bool(job.params.get("coalesced"))
    if coalesced:
        # From here on, a new change asks for a new run: this one may not see it.
        release_request(db)

    def write(session: Session) -> Outcome:
        state = read_state(session)
        if coalesced and not state.stale:
            return Outcome(
                True, f"figures already at data version {state.coverage_version}; nothing to do"
            )
        result = recompute(session)
        # A national event (every feed reader sees it); the figures say what changed.
        version = str(result.data_version)
        emit(session, [Change(ChangeType.coverage_recalculated, "Coverage", version)])
        # The feed's retention runs with every recalculation (after every change, coalesced).
        prune(session, timedelta(days=db.settings.change_retention_days))
        superseded = 0
        if result.superseded_through is not None:
            superseded = store.end_superseded(
                session,
                JobKind.coverage,
                through=result.superseded_through,
                running=job.id,
                message=f"covered by job {job.id} at data version {result.data_version}",
            )
        return Outcome(
            True,
            f"coverage of {result.regions} scopes at data version {result.data_version}",
            {
                "counts": {"scopes": result.regions, "superseded_jobs": superseded},
                "timings": {"total": round(result.seconds, 3)},
            },
        )

    return write


COVERAGE_RECOMPUTE = Flow(kind=JobKind.coverage, title="coverage recalculation", run=_run)


def recompute_now(db: Database, *, requested_by: str | None = None) -> ImportJob:
    """Recalculate in this process, recorded as a coverage job (``kopdes coverage recompute``)."""
    with db.transaction() as session:
        job = store.create_job(session, JobKind.coverage, requested_by=requested_by)
    return run_here(db, job.id, COVERAGE_RECOMPUTE)
