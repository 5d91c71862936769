"""Registry files: one row per cooperative, upserted by registry id (docs/registry-format.md).

Three steps. :func:`parse` reads the file into :class:`CoopRow` values without touching the
database. :func:`plan` checks them against the database (villages exist and are active, no
village claimed twice, legal numbers unique) and works out what differs from what is stored.
:func:`apply` writes only the differences with set-based statements (``executemany``), so a
second import of the same file finds nothing to change and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, delete, select, update
from sqlalchemy.orm import Session

from shared.bulk import allocate_ids, insert_dicts, table_of
from shared.models import (
    OUTLET_KBLI,
    STAGE_ORDER,
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    MemberCount,
    Outlet,
    OutletStatus,
    OutletType,
    Region,
    RegionKind,
    Scheme,
    Stage,
    StageEvent,
    utcnow,
)
from shared.registry import parsing
from shared.registry.issues import Issues
from shared.registry.reader import open_table

T = TypeVar("T")

REQUIRED_COLUMNS = ("registry_id", "name", "village_codes", "scheme", "stage")

# Text columns stored on the cooperative row, with their length limits (from the model).
TEXT_COLUMNS: dict[str, int] = {
    "sk_ahu_number": 100,
    "akta_number": 100,
    "notary_name": 200,
    "nik_koperasi": 32,
    "nib": 32,
    "npwp": 32,
    "bank_name": 100,
    "bank_account_number": 64,
}
DATE_COLUMNS = ("sk_ahu_date", "akta_date", "business_proposal_approved_on")
STAGE_DATE_COLUMNS: dict[str, Stage] = {f"{stage.value}_on": stage for stage in Stage}
# Numbers that identify one cooperative: the same number on two cooperatives is an error.
# (Akta numbers are not among them: each notary numbers deeds from 1.)
LEGAL_NUMBERS = ("sk_ahu_number", "nik_koperasi", "nib", "npwp")
OPTIONAL_COLUMNS = (
    *TEXT_COLUMNS,
    *DATE_COLUMNS,
    *STAGE_DATE_COLUMNS,
    "is_mockup",
    "outlets",
    "member_count",
    "member_count_as_of",
)
KNOWN_COLUMNS = frozenset((*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS))

# The columns of the cooperatives table an import sets (and compares).
VALUE_COLUMNS = (
    "name",
    "kind",
    "scheme",
    "stage",
    "stage_rank",
    *TEXT_COLUMNS,
    *DATE_COLUMNS,
    "is_mockup",
    "member_count",
)

SCHEME_ALIASES = {
    "pembentukan_baru": Scheme.new,
    "baru": Scheme.new,
    "pengembangan": Scheme.development,
    "revitalisasi": Scheme.revitalisation,
    "revitalization": Scheme.revitalisation,
}
STAGE_ALIASES = {
    "musdesus": Stage.deliberation,
    "musyawarah_desa_khusus": Stage.deliberation,
    "rapat_pendirian": Stage.founding_meeting,
    "akta": Stage.notarial_deed,
    "akta_notaris": Stage.notarial_deed,
    "badan_hukum": Stage.legal_entity,
    "sk_ahu": Stage.legal_entity,
    "nik_koperasi": Stage.cooperative_id,
    "nib_npwp": Stage.business_ids,
    "rekening": Stage.bank_account,
    "rekening_bank": Stage.bank_account,
    "operasional": Stage.operational,
}
OUTLET_ALIASES = {
    "sembako": OutletType.grocery,
    "apotek": OutletType.pharmacy,
    "apotek_desa": OutletType.pharmacy,
    "kantor": OutletType.office,
    "kantor_koperasi": OutletType.office,
    "simpan_pinjam": OutletType.savings_loans,
    "klinik": OutletType.clinic,
    "klinik_desa": OutletType.clinic,
    "cold_storage": OutletType.cold_storage,
    "logistik": OutletType.logistics,
    "distribution": OutletType.logistics,
}

OutletKey = tuple[OutletType, str | None]


@dataclass(slots=True)
class CoopRow:
    """One valid-looking file row, ready to compare with the database."""

    line: int
    registry_id: str
    values: dict[str, Any]  # VALUE_COLUMNS except kind (which follows from the villages)
    village_codes: list[str]
    events: dict[Stage, date | None]
    outlets: frozenset[OutletKey]
    members_as_of: date | None


@dataclass(slots=True)
class Plan:
    """What an import would change, worked out before anything is written."""

    rows: list[CoopRow]
    existing_ids: dict[str, int]  # registry id -> cooperative id, for rows already stored
    village_ids: dict[str, int]
    created: list[CoopRow] = field(default_factory=list)
    updated: list[CoopRow] = field(default_factory=list)
    unchanged: int = 0
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

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated)

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "villages_linked": len(self.links_added),
            "villages_unlinked": len(self.links_removed),
            "stage_events_written": len(self.events_added) + len(self.events_changed),
            "outlets_added": len(self.outlets_added),
            "outlets_removed": len(self.outlets_removed),
        }


# ----------------------------------------------------------------------------- parsing


def _outlets(issues: Issues, line: int, value: str) -> frozenset[OutletKey]:
    found: set[OutletKey] = set()
    for item in (i.strip() for i in parsing.LIST_SEPARATORS.split(value)):
        if not item:
            continue
        name, _, kbli = item.partition(":")
        outlet_type = parsing.choice(
            issues, line, "outlets", name, OutletType, OUTLET_ALIASES, required=True
        )
        if outlet_type is None:
            continue
        code = kbli.strip() or None
        if code is not None and code not in OUTLET_KBLI[outlet_type]:
            allowed = ", ".join(OUTLET_KBLI[outlet_type]) or "none"
            issues.error(
                line,
                "outlets",
                "bad_kbli",
                f"KBLI {code} is not a {outlet_type.value} activity (allowed: {allowed})",
            )
            continue
        if (outlet_type, code) in found:
            issues.error(line, "outlets", "repeated_outlet", f"{item} is listed twice")
        found.add((outlet_type, code))
    return frozenset(found)


def parse_row(issues: Issues, line: int, cells: dict[str, str]) -> CoopRow | None:
    """Check one row on its own; None when it has errors (they are in ``issues``)."""
    before = issues.error_count
    registry_id = parsing.text(
        issues, line, "registry_id", cells.get("registry_id", ""), max_length=64, required=True
    )
    name = parsing.text(issues, line, "name", cells.get("name", ""), max_length=300, required=True)
    codes = parsing.codes(
        issues, line, "village_codes", cells.get("village_codes", ""), required=True
    )
    scheme = parsing.choice(issues, line, "scheme", cells.get("scheme", ""), Scheme, SCHEME_ALIASES)
    stage = parsing.choice(issues, line, "stage", cells.get("stage", ""), Stage, STAGE_ALIASES)
    values: dict[str, Any] = {"name": name, "scheme": scheme, "stage": stage}
    values["stage_rank"] = STAGE_ORDER[stage] if stage is not None else None
    for column, limit in TEXT_COLUMNS.items():
        values[column] = parsing.text(issues, line, column, cells.get(column, ""), max_length=limit)
    for column in DATE_COLUMNS:
        values[column] = parsing.day(issues, line, column, cells.get(column, ""))
    values["is_mockup"] = parsing.flag(issues, line, "is_mockup", cells.get("is_mockup", ""))
    values["member_count"] = parsing.count(
        issues, line, "member_count", cells.get("member_count", "")
    )
    members_as_of = parsing.day(
        issues, line, "member_count_as_of", cells.get("member_count_as_of", "")
    )
    if members_as_of is not None and values["member_count"] is None:
        issues.error(
            line, "member_count_as_of", "date_without_count", "a date is given but no member_count"
        )
    events: dict[Stage, date | None] = {}
    for column, event_stage in STAGE_DATE_COLUMNS.items():
        reached = parsing.day(issues, line, column, cells.get(column, ""))
        if reached is None:
            continue
        if stage is not None and STAGE_ORDER[event_stage] > STAGE_ORDER[stage]:
            issues.error(
                line,
                column,
                "stage_not_reached",
                f"a date for {event_stage.value}, a stage after the current stage {stage.value}",
            )
            continue
        events[event_stage] = reached
    if stage is not None:
        events.setdefault(stage, None)
    outlets = _outlets(issues, line, cells.get("outlets", ""))
    if "__extra__" in cells:
        issues.error(line, None, "extra_cells", "the row has more cells than the header")
    if issues.error_count > before or registry_id is None:
        return None
    return CoopRow(
        line=line,
        registry_id=registry_id,
        values=values,
        village_codes=codes,
        events=events,
        outlets=outlets,
        members_as_of=members_as_of,
    )


def parse(
    path: Path, issues: Issues, *, on_rows: Callable[[int], None] | None = None
) -> list[CoopRow]:
    """Read and check every row of a registry file (no database access)."""
    table = open_table(path, issues, required=REQUIRED_COLUMNS)
    for column in table.columns:
        if column and column not in KNOWN_COLUMNS:
            issues.warn(1, column, "unknown_column", f"column {column!r} is not used; ignored")
    rows: list[CoopRow] = []
    seen = 0
    for line, cells in table.rows:
        seen += 1
        row = parse_row(issues, line, cells)
        if row is not None:
            rows.append(row)
        if on_rows is not None and seen % 5000 == 0:
            on_rows(seen)
    if seen == 0:
        issues.error(2, None, "empty_file", "the file has a header but no rows")
    return rows


# ----------------------------------------------------------------------------- planning


def _chunks(items: Sequence[T], size: int = 900) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Above this many keys, reading a whole table is cheaper than many IN (...) queries.
_WHOLE_TABLE = 5000


def _rows_for(
    session: Session, columns: Sequence[Any], key: Any, values: Sequence[Any]
) -> list[Any]:
    if not values:
        return []
    if len(values) > _WHOLE_TABLE:
        return list(session.execute(select(*columns)).all())
    found: list[Any] = []
    for chunk in _chunks(values):
        found.extend(session.execute(select(*columns).where(key.in_(chunk))).all())
    return found


def _check_in_file(issues: Issues, rows: list[CoopRow]) -> list[CoopRow]:
    """Rules between rows of the file: each names both rows."""
    first_line: dict[str, int] = {}
    village_owner: dict[str, CoopRow] = {}
    numbers: dict[str, dict[str, CoopRow]] = {name: {} for name in LEGAL_NUMBERS}
    bad: set[int] = set()
    for row in rows:
        if row.registry_id in first_line:
            issues.error(
                row.line,
                "registry_id",
                "duplicate_registry_id",
                f"{row.registry_id} is also on line {first_line[row.registry_id]}",
            )
            bad.add(row.line)
            continue
        first_line[row.registry_id] = row.line
        for code in row.village_codes:
            other = village_owner.get(code)
            if other is not None:
                issues.error(
                    row.line,
                    "village_codes",
                    "village_claimed_twice",
                    f"village {code} is also claimed by {other.registry_id} on line {other.line}",
                )
                bad.add(row.line)
            else:
                village_owner[code] = row
        for name in LEGAL_NUMBERS:
            value = row.values[name]
            if value is None:
                continue
            holder = numbers[name].get(value)
            if holder is not None:
                issues.error(
                    row.line,
                    name,
                    "duplicate_legal_number",
                    f"{name} {value} is also used by {holder.registry_id} on line {holder.line}",
                )
                bad.add(row.line)
            else:
                numbers[name][value] = row
    return [row for row in rows if row.line not in bad]


def plan(session: Session, rows: list[CoopRow], issues: Issues) -> Plan:
    """Check the rows against the database and work out the differences to write."""
    rows = _check_in_file(issues, rows)
    registry_ids = [row.registry_id for row in rows]
    in_file = set(registry_ids)

    # Villages the file names.
    all_codes = sorted({code for row in rows for code in row.village_codes})
    villages = {
        code: (vid, kind, retired)
        for vid, code, kind, retired in _rows_for(
            session,
            [Region.id, Region.code, Region.kind, Region.retired_edition_id],
            Region.code,
            all_codes,
        )
    }
    # Stored cooperatives of the file's registry ids, with every compared column.
    coop_columns = [getattr(Cooperative, c) for c in ("id", "registry_id", *VALUE_COLUMNS)]
    stored = {
        r.registry_id: r
        for r in _rows_for(session, coop_columns, Cooperative.registry_id, registry_ids)
        if r.registry_id in in_file
    }
    # Who covers each named village now.
    village_ids = [villages[c][0] for c in all_codes if c in villages]
    owners: dict[int, tuple[int, str | None]] = {}
    for village_id, coop_id, owner_registry_id in _owner_rows(session, village_ids):
        owners[village_id] = (coop_id, owner_registry_id)

    for row in rows:
        kinds: set[RegionKind | None] = set()
        for code in row.village_codes:
            found = villages.get(code)
            if found is None:
                issues.error(
                    row.line,
                    "village_codes",
                    "unknown_village",
                    f"village {code} is not in the official list",
                )
                continue
            village_id, kind, retired = found
            kinds.add(kind)
            owner = owners.get(village_id)
            if retired is not None and (owner is None or owner[1] != row.registry_id):
                issues.error(
                    row.line,
                    "village_codes",
                    "retired_village",
                    f"village {code} was retired from the official list; a cooperative can"
                    " only keep a link it already had",
                )
            if owner is not None and owner[1] not in in_file:
                issues.error(
                    row.line,
                    "village_codes",
                    "village_has_cooperative",
                    f"village {code} is covered by cooperative "
                    f"{owner[1] or f'id {owner[0]}'}, which is not in this file",
                )
        if len(kinds) > 1:
            issues.error(
                row.line,
                "village_codes",
                "mixed_village_kinds",
                "a cooperative covers desa or kelurahan, not both (KDMP or KKMP)",
            )
        kind = CooperativeKind.kkmp if kinds == {RegionKind.kelurahan} else CooperativeKind.kdmp
        row.values["kind"] = kind

    # Legal numbers held by cooperatives that this file does not re-import.
    for name in LEGAL_NUMBERS:
        column = getattr(Cooperative, name)
        wanted = {row.values[name]: row for row in rows if row.values[name] is not None}
        for coop_id, owner_registry_id, value in _rows_for(
            session, [Cooperative.id, Cooperative.registry_id, column], column, list(wanted)
        ):
            claimant = wanted.get(value)
            if claimant is None or owner_registry_id in in_file:
                continue
            issues.error(
                claimant.line,
                name,
                "legal_number_in_use",
                f"{name} {value} belongs to cooperative {owner_registry_id or f'id {coop_id}'}",
            )
    result = Plan(
        rows=rows,
        existing_ids={rid: r.id for rid, r in stored.items()},
        village_ids={code: v[0] for code, v in villages.items()},
    )
    if issues:
        return result
    _diff(session, result, stored)
    return result


def _owner_rows(session: Session, village_ids: Sequence[int]) -> list[Any]:
    stmt = select(
        CooperativeVillage.village_id, CooperativeVillage.cooperative_id, Cooperative.registry_id
    ).join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
    if not village_ids:
        return []
    if len(village_ids) > _WHOLE_TABLE:
        return list(session.execute(stmt).all())
    found: list[Any] = []
    for chunk in _chunks(village_ids):
        found.extend(session.execute(stmt.where(CooperativeVillage.village_id.in_(chunk))).all())
    return found


def _diff(session: Session, result: Plan, stored: dict[str, Any]) -> None:
    coop_ids = list(result.existing_ids.values())
    links: dict[int, set[int]] = {}
    for coop_id, village_id in _rows_for(
        session,
        [CooperativeVillage.cooperative_id, CooperativeVillage.village_id],
        CooperativeVillage.cooperative_id,
        coop_ids,
    ):
        links.setdefault(coop_id, set()).add(village_id)
    events: dict[int, dict[Stage, date | None]] = {}
    for coop_id, stage, reached in _rows_for(
        session,
        [StageEvent.cooperative_id, StageEvent.stage, StageEvent.reached_on],
        StageEvent.cooperative_id,
        coop_ids,
    ):
        events.setdefault(coop_id, {})[stage] = reached
    outlets: dict[int, dict[OutletKey, int]] = {}
    for outlet_id, coop_id, outlet_type, kbli in _rows_for(
        session,
        [Outlet.id, Outlet.cooperative_id, Outlet.type, Outlet.kbli],
        Outlet.cooperative_id,
        coop_ids,
    ):
        outlets.setdefault(coop_id, {})[(outlet_type, kbli)] = outlet_id
    members: dict[tuple[int, date], int] = {}
    dated = [
        result.existing_ids[r.registry_id]
        for r in result.rows
        if r.members_as_of is not None and r.registry_id in result.existing_ids
    ]
    for coop_id, as_of, count in _rows_for(
        session,
        [MemberCount.cooperative_id, MemberCount.as_of, MemberCount.members],
        MemberCount.cooperative_id,
        dated,
    ):
        members[(coop_id, as_of)] = count

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
            continue
        coop_id = old.id
        changed = False
        if any(getattr(old, c) != row.values[c] for c in VALUE_COLUMNS):
            changed = True
            result.values_changed.append(row)
            if any(getattr(old, c) != row.values[c] for c in LEGAL_NUMBERS):
                result.identifiers_changed.append(coop_id)
        have_villages = links.get(coop_id, set())
        if have_villages != wanted_villages:
            changed = True
            result.links_removed.extend(
                (coop_id, v) for v in sorted(have_villages - wanted_villages)
            )
            result.links_added.extend((row, v) for v in sorted(wanted_villages - have_villages))
        have_events = events.get(coop_id, {})
        if have_events != row.events:
            changed = True
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
        if changed:
            result.updated.append(row)
        else:
            result.unchanged += 1


# ----------------------------------------------------------------------------- writing


def apply(session: Session, result: Plan) -> None:
    """Write the plan's differences in the caller's transaction, set-based."""
    now = utcnow()
    ids = dict(result.existing_ids)
    if result.created:
        new_ids = allocate_ids(session, "cooperatives", len(result.created))
        ids.update({row.registry_id: i for row, i in zip(result.created, new_ids, strict=True)})
        insert_dicts(
            session,
            table_of(Cooperative),
            [
                {
                    "id": ids[row.registry_id],
                    "registry_id": row.registry_id,
                    **row.values,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for row in result.created
            ],
        )
    table = table_of(Cooperative)
    updates = [row for row in result.values_changed if row.registry_id in result.existing_ids]
    if result.identifiers_changed:
        # Free the numbers first, so two cooperatives may swap them within one file.
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(dict.fromkeys(LEGAL_NUMBERS)),
            [{"_id": coop_id} for coop_id in result.identifiers_changed],
        )
    if updates:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                {
                    **{c: bindparam(f"v_{c}") for c in VALUE_COLUMNS},
                    "updated_at": now,
                    "version": table.c.version + 1,
                }
            ),
            [
                {"_id": ids[row.registry_id], **{f"v_{c}": row.values[c] for c in VALUE_COLUMNS}}
                for row in updates
            ],
        )
    links = table_of(CooperativeVillage)
    if result.links_removed:
        session.execute(
            delete(links).where(
                and_(
                    links.c.cooperative_id == bindparam("_c"),
                    links.c.village_id == bindparam("_v"),
                )
            ),
            [{"_c": c, "_v": v} for c, v in result.links_removed],
        )
    if result.links_added:
        insert_dicts(
            session,
            links,
            [
                {"cooperative_id": ids[row.registry_id], "village_id": v, "linked_at": now}
                for row, v in result.links_added
            ],
        )
    events = table_of(StageEvent)
    if result.events_removed:
        session.execute(
            delete(events).where(
                and_(events.c.cooperative_id == bindparam("_c"), events.c.stage == bindparam("_s"))
            ),
            [{"_c": c, "_s": s} for c, s in result.events_removed],
        )
    if result.events_changed:
        session.execute(
            update(events)
            .where(
                and_(events.c.cooperative_id == bindparam("_c"), events.c.stage == bindparam("_s"))
            )
            .values(reached_on=bindparam("_d"), recorded_at=now),
            [{"_c": c, "_s": s, "_d": d} for c, s, d in result.events_changed],
        )
    if result.events_added:
        insert_dicts(
            session,
            events,
            [
                {
                    "cooperative_id": ids[row.registry_id],
                    "stage": stage,
                    "reached_on": reached,
                    "recorded_at": now,
                }
                for row, stage, reached in result.events_added
            ],
        )
    outlets = table_of(Outlet)
    if result.outlets_removed:
        session.execute(
            delete(outlets).where(outlets.c.id == bindparam("_id")),
            [{"_id": i} for i in result.outlets_removed],
        )
    if result.outlets_added:
        insert_dicts(
            session,
            outlets,
            [
                {
                    "cooperative_id": ids[row.registry_id],
                    "type": outlet_type,
                    "kbli": kbli,
                    "status": OutletStatus.operating,
                }
                for row, outlet_type, kbli in result.outlets_added
            ],
        )
    members = table_of(MemberCount)
    if result.members_changed:
        session.execute(
            update(members)
            .where(
                and_(
                    members.c.cooperative_id == bindparam("_c"), members.c.as_of == bindparam("_d")
                )
            )
            .values(members=bindparam("_n")),
            [{"_c": c, "_d": d, "_n": n} for c, d, n in result.members_changed],
        )
    if result.members_added:
        insert_dicts(
            session,
            members,
            [
                {"cooperative_id": ids[row.registry_id], "as_of": as_of, "members": n}
                for row, as_of, n in result.members_added
            ],
        )


def changed_ids(result: Plan) -> Iterable[str]:
    return (row.registry_id for row in (*result.created, *result.updated))


__all__ = ["KNOWN_COLUMNS", "REQUIRED_COLUMNS", "CoopRow", "Plan", "apply", "parse", "plan"]
