"""Registry rows against the database: the rules between rows and stored data (villages exist
and are active, legal numbers unique), then what differs from what is stored, per table.
Nothing is written here.

A village claimed by two cooperatives (two rows of the file, or a row and a stored
cooperative the file does not re-import) is what the registry holds: both are stored and the
claim is a warning (``village_claimed_twice``, ``village_has_cooperative``); coverage counts
the village once and ``shared.findings`` lists it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.bulk import grouped, rows_for
from shared.imports.problems import Report
from shared.imports.records import UpsertPlan
from shared.models import (
    ChangeType,
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    MemberCount,
    Officer,
    Outlet,
    OutletType,
    Region,
    RegionKind,
    Stage,
    StageEvent,
)
from shared.registry.rows import LEGAL_NUMBERS, VALUE_COLUMNS, CoopRow, OfficerKey, OutletKey


@dataclass(slots=True)
class Plan(UpsertPlan[CoopRow]):
    """What a registry import would change, worked out before anything is written."""

    village_ids: dict[str, int] = field(default_factory=dict)
    # Per-table work, filled in by plan(): ids are cooperative ids (None for new ones, which
    # are resolved after their insert).
    values_changed: list[CoopRow] = field(default_factory=list)
    identifiers_changed: list[int] = field(default_factory=list)
    links_removed: list[tuple[int, int]] = field(default_factory=list)
    links_added: list[tuple[CoopRow, int]] = field(default_factory=list)
    events_removed: list[tuple[int, Stage]] = field(default_factory=list)
    events_changed: list[tuple[int, Stage, date | None]] = field(default_factory=list)
    events_added: list[tuple[CoopRow, Stage, date | None]] = field(default_factory=list)
    outlets_removed: list[int] = field(default_factory=list)
    outlets_added: list[tuple[CoopRow, OutletType, str | None]] = field(default_factory=list)
    members_changed: list[tuple[int, date, int]] = field(default_factory=list)
    members_added: list[tuple[CoopRow, date, int]] = field(default_factory=list)
    officers_cleared: list[int] = field(default_factory=list)  # their stored board goes
    officers_added: list[tuple[CoopRow, OfficerKey]] = field(default_factory=list)
    # The change feed's events, per row: (row, what happened, fields); and the codes of the
    # villages a row's cooperative leaves (their provinces see the event too).
    announcements: list[tuple[CoopRow, ChangeType, tuple[str, ...]]] = field(default_factory=list)
    villages_left: dict[str, list[str]] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)  # every row's cooperative, once written

    def counts(self) -> dict[str, int]:
        return {
            **UpsertPlan.counts(self),
            "villages_linked": len(self.links_added),
            "villages_unlinked": len(self.links_removed),
            "stage_events_written": len(self.events_added) + len(self.events_changed),
            "outlets_added": len(self.outlets_added),
            "outlets_removed": len(self.outlets_removed),
            "officers_written": len(self.officers_added),
        }


def _check_in_file(report: Report, rows: list[CoopRow]) -> list[CoopRow]:
    """Rules between rows of the file: each names both rows."""
    first_line: dict[str, int] = {}
    village_owner: dict[str, CoopRow] = {}
    numbers: dict[str, dict[str, CoopRow]] = {name: {} for name in LEGAL_NUMBERS}
    bad: set[int] = set()
    for row in rows:
        if row.registry_id in first_line:
            message = f"{row.registry_id} is also on line {first_line[row.registry_id]}"
            report.error("duplicate_registry_id", message, line=row.line, field="registry_id")
            bad.add(row.line)
            continue
        first_line[row.registry_id] = row.line
        for code in row.village_codes:
            other = village_owner.setdefault(code, row)
            if other is not row:
                report.warning(
                    "village_claimed_twice",
                    f"village {code} is also claimed by {other.registry_id} on line"
                    f" {other.line}; both are stored, the village counts once",
                    line=row.line,
                    field="village_codes",
                    value=code,
                )
        for name in LEGAL_NUMBERS:
            value = row.values[name]
            if value is None:
                continue
            holder = numbers[name].get(value)
            if holder is not None:
                report.error(
                    "duplicate_legal_number",
                    f"{name} {value} is also used by {holder.registry_id} on line {holder.line}",
                    line=row.line,
                    field=name,
                )
                bad.add(row.line)
            else:
                numbers[name][value] = row
    return [row for row in rows if row.line not in bad]


def plan(session: Session, rows: list[CoopRow], report: Report) -> Plan:
    """Check the rows against the database and work out the differences to write."""
    rows = _check_in_file(report, rows)
    registry_ids = [row.registry_id for row in rows]
    in_file = set(registry_ids)

    # Villages the file names.
    all_codes = sorted({code for row in rows for code in row.village_codes})
    villages = {
        code: (vid, kind, retired)
        for vid, code, kind, retired in rows_for(
            session,
            select(Region.id, Region.code, Region.kind, Region.retired_edition_id),
            Region.code,
            all_codes,
        )
    }
    # Stored cooperatives of the file's registry ids, with every compared column.
    coop_columns = [getattr(Cooperative, c) for c in ("id", "registry_id", *VALUE_COLUMNS)]
    stored = {
        r.registry_id: r
        for r in rows_for(session, select(*coop_columns), Cooperative.registry_id, registry_ids)
        if r.registry_id in in_file
    }
    # Who covers each named village now.
    village_ids = [villages[c][0] for c in all_codes if c in villages]
    owners: dict[int, list[tuple[int, str | None]]] = {}
    for village_id, coop_id, owner_registry_id in _owner_rows(session, village_ids):
        owners.setdefault(village_id, []).append((coop_id, owner_registry_id))

    for row in rows:
        kinds: set[RegionKind | None] = set()
        for code in row.village_codes:
            found = villages.get(code)
            if found is None:
                message = f"village {code} is not in the official list"
                report.error("unknown_village", message, line=row.line, field="village_codes")
                continue
            village_id, kind, retired = found
            kinds.add(kind)
            held = owners.get(village_id, [])
            if retired is not None and all(rid != row.registry_id for _, rid in held):
                report.error(
                    "retired_village",
                    f"village {code} was retired from the official list; a cooperative can"
                    " only keep a link it already had",
                    line=row.line,
                    field="village_codes",
                )
            for coop_id, owner_registry_id in held:
                if owner_registry_id not in in_file:
                    report.warning(
                        "village_has_cooperative",
                        f"village {code} is also covered by cooperative"
                        f" {owner_registry_id or f'id {coop_id}'}, which is not in this file;"
                        " both are kept, the village counts once",
                        line=row.line,
                        field="village_codes",
                        value=code,
                    )
        if len(kinds) > 1:
            message = "a cooperative covers desa or kelurahan, not both (KDMP or KKMP)"
            report.error("mixed_village_kinds", message, line=row.line, field="village_codes")
        kind = CooperativeKind.kkmp if kinds == {RegionKind.kelurahan} else CooperativeKind.kdmp
        row.values["kind"] = kind

    # Legal numbers held by cooperatives that this file does not re-import.
    for name in LEGAL_NUMBERS:
        column = getattr(Cooperative, name)
        wanted = {row.values[name]: row for row in rows if row.values[name] is not None}
        for coop_id, owner_registry_id, value in rows_for(
            session,
            select(Cooperative.id, Cooperative.registry_id, column),
            column,
            list(wanted),
        ):
            claimant = wanted.get(value)
            if claimant is None or owner_registry_id in in_file:
                continue
            report.error(
                "legal_number_in_use",
                f"{name} {value} belongs to cooperative {owner_registry_id or f'id {coop_id}'}",
                line=claimant.line,
                field=name,
            )
    result = Plan(
        rows=rows,
        existing_ids={rid: r.id for rid, r in stored.items()},
        village_ids={code: v[0] for code, v in villages.items()},
    )
    if report.failed():
        return result
    _diff(session, result, stored)
    return result


def _owner_rows(session: Session, village_ids: Sequence[int]) -> list[Any]:
    """(village id, cooperative id, registry id) of the villages' current cooperatives."""
    query = select(
        CooperativeVillage.village_id, CooperativeVillage.cooperative_id, Cooperative.registry_id
    ).join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
    return rows_for(session, query, CooperativeVillage.village_id, village_ids)


def _diff(session: Session, result: Plan, stored: dict[str, Any]) -> None:
    coop_ids = list(result.existing_ids.values())
    by_id = partial(grouped, session)
    links = {
        coop: {village for (village,) in rows}
        for coop, rows in by_id(
            CooperativeVillage.cooperative_id, coop_ids, CooperativeVillage.village_id
        ).items()
    }
    events: dict[int, dict[Stage, date | None]] = {
        coop: dict(rows)
        for coop, rows in by_id(
            StageEvent.cooperative_id, coop_ids, StageEvent.stage, StageEvent.reached_on
        ).items()
    }
    outlets: dict[int, dict[OutletKey, int]] = {
        coop: {(kind, kbli): outlet for outlet, kind, kbli in rows}
        for coop, rows in by_id(
            Outlet.cooperative_id, coop_ids, Outlet.id, Outlet.type, Outlet.kbli
        ).items()
    }
    boards: dict[int, frozenset[OfficerKey]] = {
        coop: frozenset(rows)
        for coop, rows in by_id(
            Officer.cooperative_id,
            coop_ids,
            Officer.role,
            Officer.name,
            Officer.term_start,
            Officer.term_end,
        ).items()
    }
    dated = [
        result.existing_ids[r.registry_id]
        for r in result.rows
        if r.members_as_of is not None and r.registry_id in result.existing_ids
    ]
    members = {
        (coop, as_of): count
        for coop, rows in by_id(
            MemberCount.cooperative_id, dated, MemberCount.as_of, MemberCount.members
        ).items()
        for as_of, count in rows
    }

    for row in result.rows:
        wanted_villages = {result.village_ids[c] for c in row.village_codes}
        old = stored.get(row.registry_id)
        if old is None:
            result.created.append(row)
            result.values_changed.append(row)
            result.links_added.extend((row, v) for v in sorted(wanted_villages))
            result.events_added.extend((row, s, d) for s, d in row.events.items())
            result.outlets_added.extend((row, t, k) for t, k in sorted(row.outlets))
            if row.members_as_of is not None:
                result.members_added.append((row, row.members_as_of, row.values["member_count"]))
            result.officers_added.extend((row, o) for o in sorted(row.officers or (), key=str))
            result.announcements.append((row, ChangeType.cooperative_registered, ()))
            if len(wanted_villages) > 1:
                result.announcements.append((row, ChangeType.merged, ()))
            continue
        coop_id = old.id
        changed = False
        fields: set[str] = set()
        types: set[ChangeType] = set()
        columns = [c for c in VALUE_COLUMNS if getattr(old, c) != row.values[c]]
        if columns:
            changed = True
            fields.update(c for c in columns if c != "stage_rank")
            result.values_changed.append(row)
            if any(getattr(old, c) != row.values[c] for c in LEGAL_NUMBERS):
                result.identifiers_changed.append(coop_id)
        have_villages = links.get(coop_id, set())
        if have_villages != wanted_villages:
            changed = True
            types.update(_link_types(have_villages, wanted_villages))
            result.links_removed.extend(
                (coop_id, v) for v in sorted(have_villages - wanted_villages)
            )
            result.links_added.extend((row, v) for v in sorted(wanted_villages - have_villages))
        have_events = events.get(coop_id, {})
        if have_events != row.events:
            changed = True
            types.add(ChangeType.stage_recorded)
            for stage_value in have_events.keys() - row.events.keys():
                result.events_removed.append((coop_id, stage_value))
            for stage_value, reached in row.events.items():
                if stage_value not in have_events:
                    result.events_added.append((row, stage_value, reached))
                elif have_events[stage_value] != reached:
                    result.events_changed.append((coop_id, stage_value, reached))
        have_outlets = outlets.get(coop_id, {})
        if have_outlets.keys() != row.outlets:
            changed = True
            if row.outlets - have_outlets.keys():
                types.add(ChangeType.outlet_added)
            if have_outlets.keys() - row.outlets:
                fields.add("outlets")
            result.outlets_removed.extend(
                outlet_id for k, outlet_id in have_outlets.items() if k not in row.outlets
            )
            result.outlets_added.extend(
                (row, t, k) for t, k in sorted(row.outlets - have_outlets.keys(), key=str)
            )
        if row.members_as_of is not None:
            count = row.values["member_count"]
            have = members.get((coop_id, row.members_as_of))
            if have is None:
                changed = True
                result.members_added.append((row, row.members_as_of, count))
            elif have != count:
                changed = True
                result.members_changed.append((coop_id, row.members_as_of, count))
            if have != count:
                fields.add("member_counts")
        if row.officers is not None and boards.get(coop_id, frozenset()) != row.officers:
            changed = True
            types.add(ChangeType.officers_recorded)
            result.officers_cleared.append(coop_id)
            result.officers_added.extend((row, o) for o in sorted(row.officers, key=str))
        if fields:
            result.announcements.append(
                (row, ChangeType.cooperative_updated, tuple(sorted(fields)))
            )
        result.announcements.extend((row, t, ()) for t in sorted(types))
        if changed:
            result.updated.append(row)
        else:
            result.unchanged += 1
    _villages_left(session, result)


def _villages_left(session: Session, result: Plan) -> None:
    """The codes of the villages each cooperative leaves (the feed tells their provinces)."""
    if not result.links_removed:
        return
    left = sorted({v for _c, v in result.links_removed})
    codes = dict(rows_for(session, select(Region.id, Region.code), Region.id, left))
    registry_id = {coop: rid for rid, coop in result.existing_ids.items()}
    for coop, village in result.links_removed:
        result.villages_left.setdefault(registry_id[coop], []).append(codes[village])


def _link_types(have: set[int], wanted: set[int]) -> list[ChangeType]:
    """What a change of a cooperative's villages is, for the change feed."""
    return [
        *([ChangeType.villages_linked] if wanted - have else []),
        *([ChangeType.villages_unlinked] if have - wanted else []),
        *([ChangeType.merged] if len(have) <= 1 < len(wanted) else []),
    ]
