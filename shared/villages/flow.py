"""The village-list import as a job flow: read, validate, compare, then write in one step.

1. **reading / validating**: stream the rows and check them; any error ends the job with every
   problem counted and the first ``max_reported_errors`` kept. Nothing is written.
2. **comparing**: per level, what is added, renamed, retired, reinstated or unchanged
   (``diff``), and which re-coded villages carry their cooperatives over (``mapping``).
3. **writing**: one transaction creates the edition and writes every change (``writer``); the
   runner commits the job's outcome and audit entry with it. Readers see the old list or the
   new one, never a mix.

A file whose bytes made the current edition is recognised by its SHA-256 and not read again.
One village-list import runs at a time (the flow is exclusive): a second is refused, naming
the first.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.config import get_settings
from shared.coverage.schedule import note_change
from shared.db import Database
from shared.imports.files import sources_sha256
from shared.imports.problems import Report
from shared.jobs.runner import AuditNote, Flow, JobFailed, Outcome, Progress, Timer, Write
from shared.jobs.store import JobInput
from shared.models import Edition, JobKind, JobPhase, Region
from shared.villages import guards
from shared.villages import problems as p
from shared.villages.bundled import BUNDLED_PATH
from shared.villages.diff import LEVELS, Diff, compare, describe, load_current, unchanged
from shared.villages.edition import EditionInfo
from shared.villages.mapping import Move, read_mapping, resolve_mapping
from shared.villages.queries import retired_villages_with_cooperatives, villages_with_cooperatives
from shared.villages.readers import read_sources
from shared.villages.validation import Edition as ParsedEdition
from shared.villages.validation import validate
from shared.villages.writer import announce_edition, write_edition

# Test seams: callables run at named points of a job ("validated": after validation, outside
# any transaction; "writing": inside the write transaction, after the regions were written).
# Tests use them to hold a job mid-way or to make the write phase fail.
Hook = Callable[[int, Session | None], None]
HOOKS: dict[str, list[Hook]] = {"validated": [], "writing": []}


@dataclass(frozen=True, slots=True)
class _Matched:
    """The current edition, when the file is known to hold exactly what it holds."""

    label: str
    sha256: str | None


@dataclass(slots=True)
class _Import:
    """One run of the flow: its job, its input's identity and what it found so far."""

    job: JobInput
    info: EditionInfo
    sha: str
    report: Report
    timer: Timer

    def rejected(self, parsed: ParsedEdition) -> Outcome:
        report = self.report
        message = f"{report.error_count} error(s) in the input; nothing was written" + (
            f" (first {len(report.errors)} kept)" if report.error_count > len(report.errors) else ""
        )
        return Outcome(
            False,
            message,
            {
                "timings": self.timer.done(),
                "counts": {"rows": parsed.rows_read},
                "rows_done": parsed.rows_read,
                **report.job_fields(),
            },
            AuditNote(
                "villages.import.rejected",
                "edition",
                self.info.label,
                {"job_id": self.job.id, "error_count": report.error_count},
            ),
        )

    def outcome(
        self,
        parsed: ParsedEdition,
        diff: Diff,
        moves: list[Move],
        *,
        edition_id: int | None,
        matched: _Matched | None = None,
        concerns: list[guards.Concern] | None = None,
    ) -> Outcome:
        dry_run = self.job.dry_run
        restore = bool(self.job.params.get("restore"))
        changed = diff.changes > 0 or bool(moves)
        totals = diff.totals()
        if dry_run:
            message = f"dry run of edition {self.info.label}: " + describe(totals, len(moves))
            if concerns:
                message = "WARNING: " + "; ".join(c.message for c in concerns) + f". {message}"
        elif restore:
            message = f"edition {self.info.label} restored: " + describe(totals, len(moves))
        elif matched is not None:
            message = f"nothing changed: the file matches the current edition {matched.label}" + (
                " (same SHA-256)" if matched.sha256 == self.sha else ""
            )
        elif not changed:
            message = f"edition {self.info.label} recorded; no region changed"
        else:
            message = f"edition {self.info.label} imported: " + describe(totals, len(moves))
        if self.report.warning_count:
            message += f"; {self.report.warning_count} warning(s)"
        counts: dict[str, Any] = {
            "rows": parsed.rows_read,
            "regions": {lvl.value: parsed.count(lvl) for lvl in LEVELS},
            "changes": totals,
            "recoded": len(moves),
        }
        # The first changes of each kind, on the job: what a dry run would change (it writes
        # nothing to region_changes), and for an import what an operator reads first.
        counts["sample"] = diff.sample(get_settings().max_reported_errors)
        return Outcome(
            True,
            message,
            {
                "diff": diff.summary(),
                "counts": counts,
                "timings": self.timer.done(),
                "edition_id": edition_id,
                "rows_done": parsed.rows_read,
                "rows_total": parsed.rows_read,
                **self.report.job_fields(),
            },
            AuditNote(
                "villages.import.dry_run"
                if dry_run
                else ("villages.restore" if restore else "villages.import"),
                "edition",
                self.info.label,
                {
                    "job_id": self.job.id,
                    "edition": self.info.as_params(),
                    "sha256": self.sha,
                    "changes": totals,
                    "recoded": len(moves),
                    "dry_run": dry_run,
                },
            ),
            wrote=changed and not dry_run,
        )


def _run(db: Database, job: JobInput, progress: Progress) -> Outcome | Write:
    timer = Timer()
    params = job.params
    sources = [BUNDLED_PATH] if params.get("bundled") else [job.local(s) for s in params["sources"]]
    sha = sources_sha256(sources)
    run = _Import(
        job=job,
        info=EditionInfo.from_params(params["edition"]),
        sha=sha,
        report=Report(limit=get_settings().max_reported_errors),
        timer=timer,
    )
    progress(phase=JobPhase.reading, source_sha256=sha)
    mapping_path = job.local(params["mapping"]) if params.get("mapping") else None
    if mapping_path is None and not params.get("full_compare"):
        same = _same_as_current(db, run.info, sha)
        if same is not None:
            # These exact bytes made the current edition, and only village imports change
            # regions: reading them again can only find what the database already holds.
            edition_id, parsed = same
            timer.mark("reading")
            matched = _Matched(run.info.label, sha)
            return run.outcome(
                parsed, unchanged(parsed), [], edition_id=edition_id, matched=matched
            )

    def validated(count: int) -> None:
        progress(phase=JobPhase.validating, rows_done=count)

    report = run.report
    with _collector_paused():
        parsed = validate(read_sources(sources, report), report, on_row=validated)
    pairs = read_mapping(mapping_path, report) if mapping_path else []
    timer.mark("reading")
    if report.failed():
        return run.rejected(parsed)
    for hook in HOOKS["validated"]:
        hook(job.id, None)

    progress(phase=JobPhase.comparing, rows_total=parsed.rows_read)
    with db.sync_session() as session:
        current = load_current(session)
        existing = session.execute(
            select(Edition).where(Edition.label == run.info.label)
        ).scalar_one_or_none()
        current_edition = session.execute(
            select(Edition).where(Edition.is_current)
        ).scalar_one_or_none()
        moves = resolve_mapping(session, pairs, parsed, current, report, mapping_path)
    diff = compare(parsed, current)
    timer.mark("comparing")
    if report.failed():
        return run.rejected(parsed)
    restoring = bool(params.get("restore"))
    found = guards.concerns(
        diff,
        current,
        run.info,
        current_edition,
        threshold_percent=get_settings().mass_retirement_percent,
        recoded={m.old_id for m in moves},
        restoring=restoring,
    )
    allowed = bool(params.get("allow_mass_retirement"))
    if found and not job.dry_run and not allowed:
        raise JobFailed(
            "refused, nothing was written: "
            + "; ".join(c.message for c in found)
            + "; "
            + guards.ALLOW_HINT
        )
    for concern in found:
        report.warning(concern.code, concern.message, field="edition", value=run.info.label)
    existing_id = existing.id if existing else None
    if job.dry_run:
        with db.sync_session() as session:
            _flag_retiring_villages(session, diff, moves, report)
        return run.outcome(parsed, diff, moves, edition_id=existing_id, concerns=found)
    if existing is not None:
        if restoring:
            if existing.source_sha256 != sha:
                raise JobFailed(
                    f"the file of edition {existing.label} has changed since it was imported"
                    f" (SHA-256 {sha[:12]}..., the edition's {(existing.source_sha256 or '?')[:12]}"
                    "...): nothing was restored"
                )
        else:
            if existing.is_current and not diff.changes and not moves:
                # The same content as the current edition: nothing to write; the job says so.
                matched = _Matched(existing.label, existing.source_sha256)
                return run.outcome(parsed, diff, [], edition_id=existing.id, matched=matched)
            raise JobFailed(_already_imported(existing, current_edition, sha, diff.changes))

    progress(phase=JobPhase.writing, rows_done=0, rows_total=diff.changes)

    def write(session: Session) -> Outcome:
        edition = write_edition(
            session, run.info, sha, current, diff, moves, restore=existing if restoring else None
        )
        for hook in HOOKS["writing"]:
            hook(job.id, session)
        timer.mark("writing")
        if diff.changes or moves:
            _flag_retired_villages(session, edition.id, report)
            note_change(session)
            announce_edition(session, edition.id)
        return run.outcome(parsed, diff, moves, edition_id=edition.id)

    return write


VILLAGE_IMPORT = Flow(
    kind=JobKind.villages,
    title="village-list import",
    run=_run,
    bulk_tables=("regions", "region_changes", "cooperative_villages"),
    exclusive=True,
)


def _already_imported(existing: Edition, current: Edition | None, sha: str, changes: int) -> str:
    """Why a file cannot be imported under the label of an edition already imported: what is
    true of it."""
    label = existing.label
    if existing.is_current:
        return (
            f"edition {label} is the current edition and this file differs from it"
            f" ({changes:,} change(s)): give this file a new edition label"
        )
    now = f" (the current edition is {current.label})" if current is not None else ""
    if existing.source_sha256 == sha:
        return (
            f"this file equals edition {label}, which is not current{now}: restore it with"
            f" `kopdes editions restore {label}` (restoreEdition in GraphQL)"
        )
    return (
        f"edition {label} was imported from another file{now}: give this file a new edition"
        f" label, or restore edition {label} with `kopdes editions restore {label}`"
    )


def _flag_retired_villages(session: Session, edition_id: int, report: Report) -> None:
    """Warn about each village this edition retires that still has a cooperative: it stays,
    flagged, until a mapping or a steward moves it."""
    for row in retired_villages_with_cooperatives(session, edition_id=edition_id):
        report.warning(
            p.RETIRED_WITH_COOPERATIVE,
            f"village {row.code} ({row.name}) is retired by this edition but has"
            f" cooperative {row.cooperative_id} ({row.cooperative_name}); it stays, flagged",
            field="code",
            value=row.code,
        )


def _flag_retiring_villages(
    session: Session, diff: Diff, moves: list[Move], report: Report
) -> None:
    """A dry run's warnings about the villages it would retire that have a cooperative the
    mapping does not move away: the same the import would give, before it runs."""
    retiring = {region_id for region_id, _name in diff.retired} - {m.old_id for m in moves}
    if not retiring:
        return
    for row in villages_with_cooperatives(session):
        if row.region_id in retiring:
            report.warning(
                p.RETIRED_WITH_COOPERATIVE,
                f"village {row.code} ({row.name}) would be retired by this edition but has"
                f" cooperative {row.cooperative_id} ({row.cooperative_name}); it would stay,"
                " flagged",
                field="code",
                value=row.code,
            )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while ~92,000 long-lived row tuples are built.

    Each allocation burst would otherwise trigger collections that rescan every tuple kept so
    far (~20% of the reading phase); the rows hold no reference cycles, so nothing is missed,
    and the collector resumes (if it was on) as soon as the rows are read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _same_as_current(db: Database, info: EditionInfo, sha: str) -> tuple[int, ParsedEdition] | None:
    """The current edition's id and region counts when it has this label and these bytes."""
    with db.sync_session() as session:
        current = session.execute(select(Edition).where(Edition.is_current)).scalar_one_or_none()
        if current is None or current.label != info.label or current.source_sha256 != sha:
            return None
        counts = dict(
            session.execute(
                select(Region.level, func.count())
                .where(Region.retired_edition_id.is_(None))
                .group_by(Region.level)
            ).all()
        )
    levels = {level: int(counts.get(level, 0)) for level in LEVELS}
    parsed = ParsedEdition(regions={}, rows_read=sum(levels.values()), level_counts=levels)
    return current.id, parsed
