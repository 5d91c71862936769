"""Name-keyed registry files against the database: reconcile their places, then plan and
write like a code-keyed file (a cooperative list) or record the region counts (a summary).

Either way the source's crosswalk learns the snapshot's matches and the rows that could not
be placed replace the source's earlier ones in ``unplaced_registry_rows`` (the findings).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.bulk import insert_dicts, table_of
from shared.imports.problems import Report
from shared.models import UnplacedRegistryRow, utcnow
from shared.places import Crosswalk
from shared.registry import apply as coop_apply
from shared.registry import plan as coop_plan
from shared.registry.layouts import PLACE_COLUMNS, SUMMARY_COUNTS, Layout, NamedRow, Parsed
from shared.registry.placing import (
    Placed,
    PlaceOptions,
    Unplaced,
    learn_and_save,
    reconcile,
    unplaced_of,
)
from shared.registry.rows import CoopRow, parse_row

# Columns that describe the cooperative, not the village: equal on every row of a merger.
_PER_VILLAGE = frozenset((*PLACE_COLUMNS, "village_codes"))


@dataclass(slots=True)
class Reconciled:
    """What a name-keyed file would change, with its reconciliation."""

    options: PlaceOptions
    placed: Placed | None = None
    unplaced: list[Unplaced] = field(default_factory=list)
    job_id: int | None = None  # set by the flow before writing
    # The crosswalk or the findings would change (the same file twice changes nothing).
    places_changed: bool = False

    def job_fields(self) -> dict[str, Any]:
        if self.placed is None:
            return {}
        return {"reconciliation": self.placed.report(self.options, self.extra())}

    def extra(self) -> dict[str, Any]:
        return {}

    def unplaced_counts(self) -> dict[str, int]:
        return {
            "unplaced_rows": len(self.unplaced),
            "unplaced_cooperatives": sum(u.cooperatives for u in self.unplaced),
        }

    def message(self, *, dry_run: bool) -> str | None:
        return None


@dataclass(slots=True)
class ListPlan(Reconciled):
    """A name-keyed cooperative list: the registry plan of its placed cooperatives."""

    coops: coop_plan.Plan | None = None

    @property
    def changes(self) -> int:
        return (self.coops.changes if self.coops else 0) + int(self.places_changed)

    def counts(self) -> dict[str, int]:
        base = self.coops.counts() if self.coops else {"rows": 0}
        return {**base, **self.unplaced_counts()}


@dataclass(slots=True)
class SummaryPlan(Reconciled):
    """A regional summary: the counts of the regions found."""

    regions: dict[str, dict[str, int]] = field(default_factory=dict)
    rows: int = 0

    @property
    def changes(self) -> int:
        return int(self.places_changed)

    def extra(self) -> dict[str, Any]:
        return {"regions": self.regions}

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "placed_rows": sum(r["rows"] for r in self.regions.values()),
            "placed_cooperatives": sum(r["cooperatives"] for r in self.regions.values()),
            **self.unplaced_counts(),
        }

    def message(self, *, dry_run: bool) -> str:
        c = self.counts()
        verb = "would place" if dry_run else "placed"
        tail = (
            "; nothing was written"
            if dry_run
            else ""
            if self.places_changed
            else "; nothing changed (crosswalk and findings as stored)"
        )
        return (
            f"{verb} {c['placed_cooperatives']} cooperatives of {c['placed_rows']} rows in"
            f" {len(self.regions)} regions; {c['unplaced_rows']} rows"
            f" ({c['unplaced_cooperatives']} cooperatives) could not be placed{tail}"
        )


def plan(session: Session, parsed: Parsed, report: Report, options: PlaceOptions) -> Any:
    """The plan of a registry file of any layout."""
    if parsed.layout is Layout.codes:
        return coop_plan.plan(session, parsed.coops, report)
    rows = parsed.named if parsed.layout is Layout.names else parsed.summary
    placed = reconcile(session, [r.place for r in rows], report, options)
    if parsed.layout is Layout.summary:
        summary = SummaryPlan(options, placed, rows=len(parsed.summary))
        if placed is not None:
            _place_summary(summary, parsed, placed, report)
            summary.places_changed = _places_changed(session, summary, placed)
        return summary
    listed = ListPlan(options, placed)
    if placed is None or report.failed():
        return listed
    coops = _cooperatives(listed, parsed.named, placed, report)
    if not report.failed():
        listed.coops = coop_plan.plan(session, coops, report)
        listed.places_changed = _places_changed(session, listed, placed)
    return listed


def _finding_key(u: Unplaced) -> tuple[Any, ...]:
    return (u.line, u.registry_id, u.name, u.cooperatives, u.place[:900], u.level, u.outcome,
            u.reason, u.province_code, u.region_code, u.candidate_code)  # fmt: skip


def _places_changed(session: Session, found: Reconciled, placed: Placed) -> bool:
    """Whether writing would change the source's crosswalk or its unplaced rows."""
    source = found.options.source
    trial = Crosswalk(placed.crosswalk.values())
    learned = trial.learn(placed.matches)
    if learned.added or learned.changed:
        return True
    stored = session.execute(
        select(
            UnplacedRegistryRow.line,
            UnplacedRegistryRow.registry_id,
            UnplacedRegistryRow.name,
            UnplacedRegistryRow.cooperatives,
            UnplacedRegistryRow.place,
            UnplacedRegistryRow.level,
            UnplacedRegistryRow.outcome,
            UnplacedRegistryRow.reason,
            UnplacedRegistryRow.province_code,
            UnplacedRegistryRow.region_code,
            UnplacedRegistryRow.candidate_code,
        ).where(UnplacedRegistryRow.source == source)
    )
    return sorted(map(tuple, stored), key=repr) != sorted(
        map(_finding_key, found.unplaced), key=repr
    )


def _place_summary(summary: SummaryPlan, parsed: Parsed, placed: Placed, report: Report) -> None:
    for row, match in zip(parsed.summary, placed.matches, strict=True):
        code = match.code
        if code is None:
            summary.unplaced.append(unplaced_of(match, report, cooperatives=row.cooperatives))
            continue
        region = summary.regions.get(code)
        if region is None:
            region = summary.regions[code] = {"rows": 0, "cooperatives": 0, "line": row.line}
        else:
            report.warning(
                "region_repeated",
                f"{code} is also the region of line {region['line']}: the counts are added",
                line=row.line,
                field=match.decisive.level.value,
                value=code,
            )
        region["rows"] += 1
        region["cooperatives"] += row.cooperatives
        for column in SUMMARY_COUNTS:
            if column in row.counts:
                region[column] = region.get(column, 0) + row.counts[column]


def _cooperatives(
    listed: ListPlan, named: list[NamedRow], placed: Placed, report: Report
) -> list[CoopRow]:
    """One registry row per cooperative: its placed villages as ``village_codes``; a
    cooperative none of whose villages could be placed is unplaced."""
    groups: dict[str, list[tuple[NamedRow, str | None]]] = defaultdict(list)
    unplaced_rows: dict[int, Any] = {}
    for row, match in zip(named, placed.matches, strict=True):
        groups[row.record.get("registry_id", "")].append((row, match.code))
        if match.code is None:
            unplaced_rows[row.line] = match
    coops: list[CoopRow] = []
    for registry_id, members in groups.items():
        first = members[0][0]
        same = {k: v for k, v in first.record.items() if k not in _PER_VILLAGE}
        for other, _ in members[1:]:
            differs = sorted(
                k
                for k in same.keys() | other.record.keys()
                if k not in _PER_VILLAGE and other.record.get(k, "") != same.get(k, "")
            )
            if differs and registry_id:
                report.error(
                    "conflicting_rows",
                    f"{registry_id} is also on line {first.line} with other values in"
                    f" {', '.join(differs)}",
                    line=other.line,
                    field=differs[0],
                )
        codes = [code for _, code in members if code is not None]
        for row, code in members:
            if code is None:  # a village of a placed merger: not a cooperative more
                listed.unplaced.append(
                    unplaced_of(
                        unplaced_rows[row.line],
                        report,
                        registry_id=registry_id or None,
                        name=row.record.get("name") or None,
                        cooperatives=0 if codes else 1,
                    )
                )
        if not codes:
            continue
        record = {**same, "village_codes": ";".join(dict.fromkeys(codes))}
        coop = parse_row(report, first.line, record)
        if coop is not None:
            coops.append(coop)
    return coops


def apply(session: Session, found: Any) -> None:
    """Write a plan of any layout in the caller's transaction."""
    if not isinstance(found, Reconciled):
        coop_apply.apply(session, found)
        return
    if isinstance(found, ListPlan) and found.coops is not None and found.coops.changes:
        coop_apply.apply(session, found.coops)
    if found.placed is not None and found.places_changed:
        learn_and_save(session, found.placed, found.options.source)
        record_unplaced(session, found.options.source, found.unplaced, found.job_id)


def announce(session: Session, found: Any) -> None:
    """The change feed's events of a plan of any layout (after its data-version bump)."""
    if not isinstance(found, Reconciled):
        coop_apply.announce(session, found)
    elif isinstance(found, ListPlan) and found.coops is not None and found.coops.changes:
        coop_apply.announce(session, found.coops)


def record_unplaced(
    session: Session, source: str, rows: list[Unplaced], job_id: int | None
) -> None:
    """Replace the source's unplaced rows with these."""
    session.execute(delete(UnplacedRegistryRow).where(UnplacedRegistryRow.source == source))
    now = utcnow()
    insert_dicts(
        session,
        table_of(UnplacedRegistryRow),
        [
            {
                "source": source,
                "job_id": job_id,
                "line": u.line,
                "registry_id": u.registry_id,
                "name": u.name,
                "cooperatives": u.cooperatives,
                "place": u.place[:900],
                "level": u.level,
                "outcome": u.outcome,
                "reason": u.reason,
                "province_code": u.province_code,
                "region_code": u.region_code,
                "candidate_code": u.candidate_code,
                "recorded_at": now,
            }
            for u in rows
        ],
    )
