"""Importing proposal files: one row per proposal for a new cooperative, upserted by proposal id.

A proposal comes from a region (a regency, a district or a village), names the cooperative it
proposes and, optionally, the villages it would cover; its status is submitted, approved,
rejected or formed (formed links the cooperative, by registry id). Same three steps as the
registry import: parse, plan (check against the database, diff), apply (write differences).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.bulk import (
    delete_each,
    grouped,
    insert_dicts,
    insert_new,
    rows_for,
    table_of,
    update_each,
)
from shared.changes import Change, emit
from shared.imports import cells
from shared.imports.problems import Report
from shared.imports.records import Record, UpsertPlan, read_records
from shared.models import (
    REGION_CODE,
    ChangeType,
    Cooperative,
    Proposal,
    ProposalStatus,
    ProposalVillage,
    Region,
    RegionLevel,
    utcnow,
)

REQUIRED_COLUMNS = ("proposal_id", "region_code", "proposed_name", "status")
OPTIONAL_COLUMNS = (
    "village_codes",
    "submitted_on",
    "decided_on",
    "decided_by",
    "cooperative_registry_id",
    "note",
)
KNOWN_COLUMNS = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))
STATUS_ALIASES = {
    "diajukan": ProposalStatus.submitted,
    "disetujui": ProposalStatus.approved,
    "ditolak": ProposalStatus.rejected,
    "terbentuk": ProposalStatus.formed,
}
# Columns of the proposals table an import sets and compares.
VALUE_COLUMNS = (
    "region_id",
    "province_code",
    "regency_code",
    "district_code",
    "proposed_name",
    "status",
    "cooperative_id",
    "submitted_on",
    "decided_on",
    "decided_by",
    "note",
)


@dataclass(slots=True)
class ProposalRow:
    line: int
    external_id: str
    region_code: str
    village_codes: list[str]
    cooperative_registry_id: str | None
    values: dict[str, Any]


@dataclass(slots=True)
class ProposalPlan(UpsertPlan[ProposalRow]):
    """``updated`` holds (proposal id, row) pairs."""

    villages: dict[str, set[int]] = field(default_factory=dict)  # external id -> village ids
    villages_removed: list[tuple[int, int]] = field(default_factory=list)
    villages_added: list[tuple[str, int]] = field(default_factory=list)
    # For the change feed: the fields each updated proposal changes; every row's id once written.
    fields_changed: dict[str, list[str]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)


def parse_row(report: Report, line: int, record: Record) -> ProposalRow | None:
    before = report.error_count
    cell = cells.Cells(report, line, record)
    external_id = cell.text("proposal_id", 64, required=True)
    region_code = record.get("region_code", "").strip()
    if not region_code:
        report.error("required", "region_code is required", line=line, field="region_code")
    elif not REGION_CODE.fullmatch(region_code) or len(region_code) == 2:
        message = (
            f"{region_code!r} is not a regency, district or village code like 64.72 or 64.72.05"
        )
        report.error("bad_region_code", message, line=line, field="region_code")
    name = cell.text("proposed_name", 300, required=True)
    status = cell.choice("status", ProposalStatus, STATUS_ALIASES)
    codes = cell.codes("village_codes", required=False)
    for code in codes:
        if region_code and not code.startswith(region_code):
            message = f"village {code} is not in region {region_code}"
            report.error("village_outside_region", message, line=line, field="village_codes")
    submitted, decided = cell.day("submitted_on"), cell.day("decided_on")
    if submitted and decided and decided < submitted:
        message = "is before submitted_on"
        report.error("decided_before_submitted", message, line=line, field="decided_on")
    decided_by = cell.text("decided_by", 200)
    registry_id = cell.text("cooperative_registry_id", 64)
    if status == ProposalStatus.formed and registry_id is None:
        message = "a formed proposal names the cooperative it formed"
        report.error("required", message, line=line, field="cooperative_registry_id")
    if status is not None and status != ProposalStatus.formed and registry_id is not None:
        message = f"only a formed proposal links a cooperative (status is {status.value})"
        report.error("not_formed", message, line=line, field="cooperative_registry_id")
    note = cell.text("note", 2000)
    if report.error_count > before or external_id is None:
        return None
    values = {"proposed_name": name, "status": status, "submitted_on": submitted}
    values |= {"decided_on": decided, "decided_by": decided_by, "note": note}
    return ProposalRow(line, external_id, region_code, codes, registry_id, values)


def parse(
    path: Path, report: Report, *, on_rows: Callable[[int], None] | None = None
) -> list[ProposalRow]:
    """Read and check every row of a proposals file (no database access)."""
    first_line: dict[str, int] = {}

    def parse_unique(line: int, record: Record) -> ProposalRow | None:
        row = parse_row(report, line, record)
        if row is None:
            return None
        if row.external_id in first_line:
            message = f"{row.external_id} is also on line {first_line[row.external_id]}"
            report.error("duplicate_proposal_id", message, line=line, field="proposal_id")
            return None
        first_line[row.external_id] = line
        return row

    return read_records(
        path,
        report,
        parse_unique,
        required=REQUIRED_COLUMNS,
        known=KNOWN_COLUMNS,
        on_rows=on_rows,
    )


def plan(session: Session, rows: list[ProposalRow], report: Report) -> ProposalPlan:
    result = ProposalPlan(rows=rows)
    codes = sorted({r.region_code for r in rows} | {c for r in rows for c in r.village_codes})
    regions = {
        r.code: r
        for r in rows_for(
            session,
            select(
                Region.id,
                Region.code,
                Region.level,
                Region.province_code,
                Region.regency_code,
                Region.district_code,
                Region.retired_edition_id,
            ),
            Region.code,
            codes,
        )
    }
    registry_ids = sorted({r.cooperative_registry_id for r in rows if r.cooperative_registry_id})
    coops = {
        rid: cid
        for cid, rid in rows_for(
            session,
            select(Cooperative.id, Cooperative.registry_id),
            Cooperative.registry_id,
            registry_ids,
        )
    }
    for row in rows:
        region = regions.get(row.region_code)
        if region is None:
            message = f"region {row.region_code} is not in the official list"
            report.error("unknown_region", message, line=row.line, field="region_code")
            continue
        if region.retired_edition_id is not None:
            message = f"region {row.region_code} was retired from the official list"
            report.error("retired_region", message, line=row.line, field="region_code")
        level = RegionLevel(region.level)
        row.values.update(
            region_id=region.id,
            province_code=region.province_code,
            # A proposal stores the codes of the regions it lies in, its own included.
            regency_code=region.code if level == RegionLevel.regency else region.regency_code,
            district_code=region.code if level == RegionLevel.district else region.district_code,
        )
        village_ids: set[int] = set()
        for code in row.village_codes:
            village = regions.get(code)
            if village is None:
                message = f"village {code} is not in the official list"
                report.error("unknown_village", message, line=row.line, field="village_codes")
            else:
                village_ids.add(village.id)
        result.villages[row.external_id] = village_ids
        row.values["cooperative_id"] = None
        if row.cooperative_registry_id is not None:
            coop_id = coops.get(row.cooperative_registry_id)
            if coop_id is None:
                report.error(
                    "unknown_cooperative",
                    f"no cooperative has registry id {row.cooperative_registry_id}",
                    line=row.line,
                    field="cooperative_registry_id",
                )
            row.values["cooperative_id"] = coop_id
    if report.failed():
        return result

    ids = [r.external_id for r in rows]
    stored = {
        r.external_id: r
        for r in rows_for(
            session,
            select(
                Proposal.id, Proposal.external_id, *(getattr(Proposal, c) for c in VALUE_COLUMNS)
            ),
            Proposal.external_id,
            ids,
        )
    }
    existing = [s.id for rid, s in stored.items() if rid in result.villages]
    linked = {
        proposal: {village for (village,) in rows}
        for proposal, rows in grouped(
            session, ProposalVillage.proposal_id, existing, ProposalVillage.village_id
        ).items()
    }
    for row in rows:
        wanted = result.villages[row.external_id]
        old = stored.get(row.external_id)
        if old is None:
            result.created.append(row)
            result.villages_added.extend((row.external_id, v) for v in sorted(wanted))
            continue
        result.existing_ids[row.external_id] = old.id
        have = linked.get(old.id, set())
        differs = any(getattr(old, c) != row.values[c] for c in VALUE_COLUMNS)
        if have != wanted:
            result.villages_removed.extend((old.id, v) for v in sorted(have - wanted))
            result.villages_added.extend((row.external_id, v) for v in sorted(wanted - have))
        if differs or have != wanted:
            result.updated.append((old.id, row))
            fields = [c for c in VALUE_COLUMNS if getattr(old, c) != row.values[c]]
            result.fields_changed[row.external_id] = [
                *fields,
                *(["villages"] if have != wanted else []),
            ]
        else:
            result.unchanged += 1
    return result


def apply(session: Session, result: ProposalPlan) -> None:
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now}
    created = {
        r.external_id: {"external_id": r.external_id, **r.values, **stamps} for r in result.created
    }
    ids = {**result.existing_ids, **insert_new(session, Proposal, created)}
    result.ids = ids
    values = [{"id": i, **{c: row.values[c] for c in VALUE_COLUMNS}} for i, row in result.updated]
    update_each(session, Proposal, ["id"], values, also={"updated_at": now})
    unlinked = [{"proposal_id": p, "village_id": v} for p, v in result.villages_removed]
    delete_each(session, ProposalVillage, unlinked)
    linked = [{"proposal_id": ids[e], "village_id": v} for e, v in result.villages_added]
    insert_dicts(session, table_of(ProposalVillage), linked)


def announce(session: Session, result: ProposalPlan) -> None:
    """The change-feed events of an import (after its data-version bump): a new proposal is
    submitted (and decided, when it arrives decided); a changed status is a decision; other
    corrections are announced as submitted again, naming the fields."""
    changes: list[Change] = []
    for row in result.created:
        where = [row.values["province_code"]]
        key = result.ids[row.external_id]
        changes.append(Change(ChangeType.proposal_submitted, "Proposal", key, where))
        if row.values["status"] != ProposalStatus.submitted:
            changes.append(Change(ChangeType.proposal_decided, "Proposal", key, where, ["status"]))
    for key, row in result.updated:
        fields = result.fields_changed[row.external_id]
        kind = ChangeType.proposal_decided if "status" in fields else ChangeType.proposal_submitted
        where = [row.values["province_code"]]
        changes.append(
            Change(kind, "Proposal", key, where, [f for f in fields if f != "region_id"])
        )
    emit(session, changes)


__all__ = [
    "KNOWN_COLUMNS",
    "REQUIRED_COLUMNS",
    "ProposalPlan",
    "announce",
    "apply",
    "parse",
    "plan",
]
