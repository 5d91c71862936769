"""Name-keyed registry rows to official codes: the reconciliation step of a registry import.

The places of a name-keyed file are reconciled against the current edition
(``shared.places``), with the source's crosswalk (``place_crosswalk``) and operations'
overrides file. What comes out:

* the reconciliation report (``import_jobs.reconciliation``): match rates per level, counts per
  outcome, and **every decision that was not an exact match**, with its reason;
* a gate: a level matched below ``min_match_rate`` refuses the import (``low_match_rate``,
  naming the level and both rates) unless ``allow_low_match`` is set, when it is a warning;
* a warning per row that could not be placed (``place_misfiled``, ``place_unknown``,
  ``place_ambiguous``), and that row as an :class:`Unplaced` to record as a finding: such a
  row is never counted in a region.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session

from shared.imports.problems import Report
from shared.places import (
    LEVELS,
    Crosswalk,
    Learned,
    LevelMatch,
    Outcome,
    PlaceMatch,
    PlaceRow,
    PlaceTableError,
    Reconciler,
    SourceKey,
    Summary,
    load_aliases,
    load_current_gazetteer,
    read_overrides,
    summarise,
)
from shared.places.crosswalk import load_crosswalk
from shared.places.repository import DbCrosswalkStore

SOURCE_DEFAULT = "simkopdes"
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # as shared.places.crosswalk checks
DECISION_COLUMNS = (
    "line",
    "place",
    "source_ids",
    "level",
    "outcome",
    "code",
    "official_name",
    "score",
    "candidates",
    "reason",
)


@dataclass(frozen=True, slots=True)
class PlaceOptions:
    """How a name-keyed import reconciles: the source's name (its crosswalk), the gate, and
    the overrides file."""

    source: str = SOURCE_DEFAULT
    min_match_rate: float = 0.95
    allow_low_match: bool = False
    overrides: Path | None = None
    # The overrides file read (with the file, in the flow's reading phase).
    override_codes: dict[SourceKey, str] = field(default_factory=dict)

    @classmethod
    def from_params(
        cls, params: dict[str, Any], default_rate: float, local: Callable[[str], Path]
    ) -> PlaceOptions:
        """From a job's parameters; ``local`` turns a stored file's path into this run's."""
        rate = params.get("min_match_rate")
        overrides = params.get("overrides")
        return cls(
            source=str(params.get("source") or SOURCE_DEFAULT),
            min_match_rate=float(rate) if rate is not None else default_rate,
            allow_low_match=bool(params.get("allow_low_match", False)),
            overrides=local(str(overrides)) if overrides else None,
        )


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A row that could not be placed: reported and recorded, never counted in a region."""

    line: int
    place: str  # the names as given, province first
    level: str  # the level that failed
    outcome: str
    reason: str
    cooperatives: int = 1
    registry_id: str | None = None
    name: str | None = None
    province_code: str | None = None  # the province found, if any
    region_code: str | None = None  # the deepest level found
    candidate_code: str | None = None  # misfiled: where the place is


@dataclass(slots=True)
class Placed:
    """The reconciliation of a file's places."""

    matches: list[PlaceMatch]
    summary: Summary
    crosswalk: Crosswalk
    learned: Learned | None = None
    unplaced: list[Unplaced] = field(default_factory=list)
    gate: list[dict[str, Any]] = field(default_factory=list)  # levels below the threshold

    def report(self, options: PlaceOptions, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The reconciliation report kept on the job (plain data)."""
        return {
            "source": options.source,
            "min_match_rate": options.min_match_rate,
            "allow_low_match": options.allow_low_match,
            "summary": self.summary.as_dict(),
            "below_threshold": self.gate,
            "decisions": [decision(m) for m in self.matches if m.outcome is not Outcome.matched],
            **(extra or {}),
        }


def with_overrides(options: PlaceOptions, report: Report) -> PlaceOptions:
    """The options with their overrides file read (in the flow's reading phase, while the
    job's files are at hand); its problems are reported."""
    if options.overrides is None:
        return options
    try:
        return replace(options, override_codes=read_overrides(options.overrides))
    except PlaceTableError as exc:
        _table_problems(report, exc)
        return options


def _table_problems(report: Report, exc: PlaceTableError) -> None:
    for problem in exc.problems:
        report.error(
            "bad_place_table",
            f"{problem.file} line {problem.line}: {problem.reason}",
            field=problem.field,
            value=problem.value,
        )


def reconcile(
    session: Session, places: Sequence[PlaceRow], report: Report, options: PlaceOptions
) -> Placed | None:
    """Reconcile the rows' places; None (with the problems reported) when the alias table or
    the source's crosswalk cannot be used."""
    gazetteer = load_current_gazetteer(session)
    try:
        aliases = load_aliases(gazetteer, skip_absent=True)
        crosswalk = load_crosswalk(DbCrosswalkStore(session), options.source)
    except PlaceTableError as exc:
        _table_problems(report, exc)
        return None
    except ValueError as exc:  # a source name that cannot name a crosswalk
        report.error("bad_source", str(exc), field="source", value=options.source)
        return None
    reconciler = Reconciler(
        gazetteer, aliases=aliases, crosswalk=crosswalk, overrides=options.override_codes
    )
    matches = [reconciler.reconcile(row) for row in places]
    placed = Placed(matches, summarise(matches), crosswalk)
    for level, figures in placed.summary.levels.items():
        if figures.match_rate >= options.min_match_rate:
            continue
        placed.gate.append(
            {"level": level.value, "match_rate": round(figures.match_rate, 6), "rows": figures.rows}
        )
        message = (
            f"{figures.matched} of {figures.rows} {level.value} names matched"
            f" ({figures.match_rate:.1%}), below the minimum of {options.min_match_rate:.1%}"
        )
        if options.allow_low_match:
            report.warning("low_match_rate", message + "; imported as asked", field=level.value)
        else:
            hint = "; check the reconciliation report, or allow a low match rate to import"
            report.error("low_match_rate", message + hint, field=level.value)
    return placed


def unplaced_of(match: PlaceMatch, report: Report, **more: Any) -> Unplaced:
    """Report a row that could not be placed, and describe it for the findings."""
    failed = match.decisive
    found = [lv for lv in match.levels if lv.outcome.is_match]
    names = match.row.names
    depth = LEVELS.index(failed.level)
    line = int(match.row.ref) if isinstance(match.row.ref, int) else 0
    report.warning(
        f"place_{match.outcome.value}",
        f"{failed.level.value} {names[depth]!r}: {failed.reason}; the row is not counted in"
        " a region",
        line=line,
        field=failed.level.value,
        value=names[depth],
    )
    return Unplaced(
        line=line,
        place=" / ".join(names),
        level=failed.level.value,
        outcome=match.outcome.value,
        reason=failed.reason,
        province_code=found[0].code if found else None,
        region_code=found[-1].code if found else None,
        candidate_code=failed.candidates[0].code if failed.candidates else None,
        **more,
    )


def _least_certain(match: PlaceMatch) -> LevelMatch:
    """The deepest level decided the way the row as a whole was."""
    for level in reversed(match.levels):
        if level.outcome is match.outcome:
            return level
    return match.decisive


def decision(match: PlaceMatch) -> dict[str, Any]:
    """One non-exact decision, as the report and its CSV show it."""
    level = _least_certain(match)
    return {
        "line": match.row.ref,
        "place": " / ".join(match.row.names),
        "source_ids": " / ".join(i or "" for i in match.row.source_ids),
        "level": level.level.value,
        "outcome": match.outcome.value,
        "code": level.code,
        "official_name": level.official_name,
        "score": level.score,
        "candidates": "; ".join(
            f"{c.code} {c.name}" + (f" ({c.score:.0f})" if c.score is not None else "")
            for c in level.candidates
        ),
        "reason": level.reason,
    }


def learn_and_save(session: Session, placed: Placed, source: str) -> Learned:
    """Teach the source's crosswalk this snapshot's matches and store it."""
    learned = placed.crosswalk.learn(placed.matches)
    DbCrosswalkStore(session).write(source, placed.crosswalk.values())
    placed.learned = learned
    return learned


def write_decisions_csv(report: dict[str, Any], stream: TextIO) -> int:
    """The report's decisions as CSV (``DECISION_COLUMNS``), for the download and the CLI;
    returns the number of rows."""
    writer = csv.DictWriter(stream, fieldnames=list(DECISION_COLUMNS), extrasaction="ignore")
    writer.writeheader()
    decisions = report.get("decisions") or []
    for row in decisions:
        writer.writerow({k: _cell(row.get(k)) for k in DECISION_COLUMNS})
    return len(decisions)


def _cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text: a name from the file that begins like a
    formula (``=``, ``+``, ``-``, ``@``) gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def levels_of(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The report's per-level figures, province first (JSONB keeps keys in its own order)."""
    order = {level.value: i for i, level in enumerate(LEVELS)}
    levels = (report.get("summary") or {}).get("levels") or {}
    return sorted(levels.items(), key=lambda item: order.get(item[0], len(order)))
