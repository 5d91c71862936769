"""Registry and proposal files as a job flow: read the rows, then check them against the
database and write the differences in one transaction.

The rows are checked against the database in the transaction that writes them, so what was
checked is what is written: a file with any error writes nothing, and an exception mid-way
leaves the previous data as it was. A registry file goes through ``rows``, ``plan`` and
``apply``; a proposals file through their counterparts in ``shared.proposals.importing``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from shared.coverage.schedule import note_change
from shared.db import Database
from shared.imports.problems import InvalidFile, Report
from shared.jobs.runner import AuditNote, Flow, Outcome, Progress, Timer, Write, WriteNothing
from shared.jobs.store import JobInput
from shared.models import JobKind, JobPhase
from shared.proposals import importing as proposals
from shared.registry import layouts, named
from shared.registry.placing import PlaceOptions, with_overrides


class FileFormat(StrEnum):
    registry = "registry"  # one row per cooperative
    proposals = "proposals"  # one row per proposal for a new cooperative


@dataclass(frozen=True, slots=True)
class _Steps:
    """How one file format is read, compared with the database, and written."""

    parse: Callable[..., Any]  # (path, report, *, on_rows) -> rows
    plan: Callable[..., Any]  # (session, rows, report, [options]) -> .changes and .counts()
    apply: Callable[[Session, Any], None]
    announce: Callable[[Session, Any], None]  # the change feed's events, after note_change


_STEPS = {
    # Any of the three registry layouts (shared.registry.layouts), told apart by the header.
    FileFormat.registry: _Steps(layouts.parse, named.plan, named.apply, named.announce),
    FileFormat.proposals: _Steps(
        proposals.parse, proposals.plan, proposals.apply, proposals.announce
    ),
}


def _run(db: Database, job: JobInput, progress: Progress) -> Outcome | Write:
    timer = Timer()
    file_format = FileFormat(job.params.get("format", FileFormat.registry.value))
    steps = _STEPS[file_format]
    report = Report(limit=db.settings.max_reported_errors)
    planner = steps.plan
    if file_format is FileFormat.registry:
        options = PlaceOptions.from_params(job.params, db.settings.min_match_rate, job.local)
        planner = partial(steps.plan, options=with_overrides(options, report))

    def refused(found: Any = None) -> Outcome:
        fields = {"timings": timer.done(), **report.job_fields(), **_reconciliation(found)}
        return Outcome(False, report.summary(), fields)

    progress(phase=JobPhase.reading, rows_done=0)
    try:
        parsed = steps.parse(
            job.local(job.source_path or ""), report, on_rows=lambda n: progress(rows_done=n)
        )
    except InvalidFile:
        parsed = []
    timer.mark("reading")
    if report.failed():
        return refused()
    progress(phase=JobPhase.validating, rows_done=len(parsed), rows_total=len(parsed))

    def write(session: Session) -> Outcome:
        found = planner(session, parsed, report)
        timer.mark("validating")
        if report.failed():
            raise WriteNothing(refused(found))
        counts = found.counts()
        extra = _reconciliation(found)
        if job.dry_run:
            message = _message(found, dry_run=True) or (
                f"dry run: would create {counts['created']}, update {counts['updated']},"
                f" leave {counts['unchanged']} unchanged; nothing was written"
            )
            fields = {"counts": counts, "timings": timer.done(), **report.job_fields(), **extra}
            raise WriteNothing(Outcome(True, message, fields))
        audit = None
        if found.changes:
            if isinstance(found, named.Reconciled):
                found.job_id = job.id
            steps.apply(session, found)
            audit = AuditNote(
                f"import.{file_format.value}",
                "import_job",
                job.id,
                {"file": job.source_name, "sha256": job.source_sha256, **counts},
            )
            note_change(session)
            steps.announce(session, found)
        timer.mark("writing")
        message = _message(found, dry_run=False) or (
            f"{counts['created']} created, {counts['updated']} updated,"
            f" {counts['unchanged']} unchanged"
            if found.changes
            else f"nothing changed: all {counts['rows']} rows match the stored data"
        )
        fields = {"counts": counts, "timings": timer.done(), "rows_done": len(parsed)}
        return Outcome(
            True,
            message,
            {**fields, **report.job_fields(), **extra},
            audit,
            wrote=bool(found.changes),
        )

    return write


def _reconciliation(found: Any) -> dict[str, Any]:
    """The reconciliation report of a name-keyed file, for the job row."""
    return found.job_fields() if isinstance(found, named.Reconciled) else {}


def _message(found: Any, *, dry_run: bool) -> str | None:
    return found.message(dry_run=dry_run) if isinstance(found, named.Reconciled) else None


REGISTRY_IMPORT = Flow(
    kind=JobKind.cooperatives,
    title="registry import",
    run=_run,
    bulk_tables=(
        "cooperatives",
        "cooperative_villages",
        "stage_events",
        "outlets",
        "officers",
        "member_counts",
        "proposals",
        "proposal_villages",
    ),
    analyze_in_process=True,
)
