"""Cooperatives one at a time, for data stewards: register, update, stages, outlets, villages.

Every function takes the caller's Session and never commits: the API (or CLI) owns the
transaction, so the change, its audit row and the data-version bump commit together or not
at all. Refusals raise :class:`~shared.errors.ServiceError` naming the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.audit import Actor, record
from shared.changes import Change, cooperative_provinces, emit
from shared.coverage.schedule import note_change
from shared.errors import Conflict, InvalidInput, NotFound, StaleVersion
from shared.models import (
    OUTLET_KBLI,
    PROFILE_COLUMNS,
    STAGE_ORDER,
    VILLAGE_CODE,
    ChangeType,
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    Outlet,
    OutletStatus,
    OutletType,
    Region,
    RegionKind,
    RegionLevel,
    Scheme,
    Stage,
    StageEvent,
    link_codes,
    utcnow,
)

# Columns a steward may change with update_cooperative; identifiers unique in the table are
# checked up front so that a clash names the field instead of failing at flush.
UPDATABLE = frozenset(
    {"name", "scheme", "is_mockup", "registry_id", *PROFILE_COLUMNS, "member_count"}
)
UNIQUE_IDENTIFIERS = ("registry_id", "sk_ahu_number", "nik_koperasi", "nib", "npwp")


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def snapshot(coop: Cooperative, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited view of a cooperative (JSON-safe)."""
    names = sorted(UPDATABLE | {"kind", "stage"}) if fields is None else fields
    return {name: _jsonable(getattr(coop, name)) for name in names}


def announce(
    session: Session,
    cooperative_id: int,
    *types: ChangeType,
    fields: Sequence[str] = (),
    also_in: Iterable[str] = (),
) -> None:
    """The change-feed events of a cooperative's change (after its ``note_change``), seen in
    the provinces of its villages and of ``also_in`` (village codes it has just left)."""
    provinces = [*cooperative_provinces(session, cooperative_id), *also_in]
    emit(
        session,
        (Change(t, "Cooperative", cooperative_id, provinces, fields) for t in types),
    )


def get_cooperative(session: Session, cooperative_id: int, *, field: str = "id") -> Cooperative:
    coop = session.get(Cooperative, cooperative_id)
    if coop is None:
        raise NotFound(field, f"no cooperative has id {cooperative_id}")
    return coop


def check_version(coop: Cooperative, expected_version: int | None) -> None:
    if expected_version is not None and coop.version != expected_version:
        raise StaleVersion(
            "expected_version",
            f"the cooperative is at version {coop.version}, not {expected_version};"
            " read it again and retry",
        )


def clean_name(value: str | None, field: str) -> str:
    name = (value or "").strip()
    if not name:
        raise InvalidInput(field, "must not be empty")
    if len(name) > 300:
        raise InvalidInput(field, "must be at most 300 characters")
    return name


def villages_by_code(
    session: Session, codes: Sequence[str], *, field: str = "village_codes"
) -> list[Region]:
    """Active villages for the codes, in the given order; names the first bad code."""
    if not codes:
        raise InvalidInput(field, "give at least one village code")
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if not VILLAGE_CODE.fullmatch(code):
            raise InvalidInput(
                f"{field}[{i}]", f"{code!r} is not a village code like 64.72.05.1003"
            )
        if code in seen:
            raise InvalidInput(f"{field}[{i}]", f"{code} is listed twice")
        seen.add(code)
    found = {
        r.code: r
        for r in session.execute(
            select(Region).where(Region.code.in_(codes), Region.level == RegionLevel.village)
        ).scalars()
    }
    villages = []
    for i, code in enumerate(codes):
        village = found.get(code)
        if village is None:
            raise NotFound(f"{field}[{i}]", f"no village has code {code}")
        if village.retired:
            raise InvalidInput(
                f"{field}[{i}]", f"village {code} was retired from the official list"
            )
        villages.append(village)
    return villages


def _ensure_unlinked(
    session: Session, villages: Sequence[Region], *, field: str, allow: int | None = None
) -> None:
    """A village has at most one cooperative: refuse villages another cooperative covers."""
    by_id = {v.id: (i, v) for i, v in enumerate(villages)}
    rows = session.execute(
        select(CooperativeVillage.village_id, CooperativeVillage.cooperative_id).where(
            CooperativeVillage.village_id.in_(by_id)
        )
    ).all()
    for village_id, cooperative_id in rows:
        if cooperative_id == allow:
            continue
        i, village = by_id[village_id]
        raise Conflict(
            f"{field}[{i}]",
            f"village {village.code} ({village.name}) already has cooperative {cooperative_id}",
        )


def _links(coop: Cooperative, villages: Sequence[Region]) -> list[CooperativeVillage]:
    return [
        CooperativeVillage(cooperative_id=coop.id, village_id=v.id, **link_codes(v.code))
        for v in villages
    ]


def _kind_for(villages: Sequence[Region], kind: CooperativeKind | None) -> CooperativeKind:
    # KDMP in a desa, KKMP in a kelurahan (Inpres 9/2025); a merger spans one kind.
    kinds = {v.kind for v in villages}
    if len(kinds) > 1:
        raise InvalidInput("village_codes", "a cooperative covers desa or kelurahan, not both")
    derived = CooperativeKind.kkmp if kinds == {RegionKind.kelurahan} else CooperativeKind.kdmp
    if kind is not None and kind != derived:
        raise InvalidInput(
            "kind",
            f"{kind.value} does not match the villages ({derived.value} for a"
            f" {'kelurahan' if derived == CooperativeKind.kkmp else 'desa'})",
        )
    return derived


def _ensure_unique(session: Session, values: Mapping[str, Any], own_id: int | None) -> None:
    for name in UNIQUE_IDENTIFIERS:
        value = values.get(name)
        if value is None:
            continue
        column = getattr(Cooperative, name)
        other = session.execute(
            select(Cooperative.id).where(column == value, Cooperative.id != (own_id or -1))
        ).scalar_one_or_none()
        if other is not None:
            raise Conflict(name, f"{value!r} already belongs to cooperative {other}")


def _clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(sorted(unknown)[0], "this field cannot be changed here")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "name":
            value = clean_name(value, "name")
        elif name == "scheme":
            value = Scheme(value)
        elif name == "is_mockup":
            value = bool(value)
        elif name == "member_count":
            if value is not None and value < 0:
                raise InvalidInput("member_count", "must not be negative")
        elif isinstance(value, str):
            value = value.strip() or None
        cleaned[name] = value
    if cleaned.get("nik_koperasi") and not str(cleaned["nik_koperasi"]).isdigit():
        raise InvalidInput("nik_koperasi", "must be digits only")
    if cleaned.get("nib") and not str(cleaned["nib"]).isdigit():
        raise InvalidInput("nib", "must be digits only")
    return cleaned


def register_cooperative(
    session: Session,
    actor: Actor,
    *,
    name: str,
    village_codes: Sequence[str],
    scheme: Scheme = Scheme.new,
    kind: CooperativeKind | None = None,
    stage: Stage = Stage.deliberation,
    reached_on: date | None = None,
    is_mockup: bool = False,
    registry_id: str | None = None,
) -> Cooperative:
    """Create a cooperative covering the given villages, with its first stage event."""
    name = clean_name(name, "name")
    villages = villages_by_code(session, village_codes)
    _ensure_unlinked(session, villages, field="village_codes")
    coop_kind = _kind_for(villages, kind)
    registry_id = (registry_id or "").strip() or None
    _ensure_unique(session, {"registry_id": registry_id}, None)
    coop = Cooperative(
        name=name,
        kind=coop_kind,
        scheme=scheme,
        stage=stage,
        stage_rank=STAGE_ORDER[stage],
        is_mockup=is_mockup,
        registry_id=registry_id,
    )
    session.add(coop)
    session.flush()
    session.add_all(_links(coop, villages))
    session.add(StageEvent(cooperative_id=coop.id, stage=stage, reached_on=reached_on))
    session.flush()
    after = snapshot(coop) | {"villages": [v.code for v in villages]}
    record(
        session,
        actor,
        "cooperative.register",
        target_type="cooperative",
        target_id=coop.id,
        after=after,
    )
    note_change(session)
    merged = (ChangeType.merged,) if len(villages) > 1 else ()
    announce(session, coop.id, ChangeType.cooperative_registered, *merged)
    return coop


def update_cooperative(
    session: Session,
    actor: Actor,
    cooperative_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Cooperative:
    """Change a cooperative's own fields (names, identifiers, bank, flags)."""
    coop = get_cooperative(session, cooperative_id)
    check_version(coop, expected_version)
    cleaned = _clean_changes(changes)
    _ensure_unique(session, cleaned, coop.id)
    changed = {k: v for k, v in cleaned.items() if getattr(coop, k) != v}
    if not changed:
        return coop
    before = snapshot(coop, changed)
    for key, value in changed.items():
        setattr(coop, key, value)
    session.flush()
    record(
        session,
        actor,
        "cooperative.update",
        target_type="cooperative",
        target_id=coop.id,
        before=before,
        after=snapshot(coop, changed),
    )
    # Mock-up flags feed coverage figures; the rest feeds readiness and profiles only.
    note_change(session)
    announce(session, coop.id, ChangeType.cooperative_updated, fields=sorted(changed))
    return coop


def record_stage(
    session: Session,
    actor: Actor,
    cooperative_id: int,
    stage: Stage,
    *,
    reached_on: date | None = None,
    note: str | None = None,
    expected_version: int | None = None,
) -> Cooperative:
    """Record that a stage was reached; the cooperative's stage is the furthest one reached.

    Recording a stage again corrects its date and note. An earlier stage recorded late (the
    history filled in) never moves the cooperative back.
    """
    coop = get_cooperative(session, cooperative_id)
    check_version(coop, expected_version)
    if reached_on is not None and reached_on > date.today():
        raise InvalidInput("reached_on", f"{reached_on.isoformat()} is in the future")
    event = session.execute(
        select(StageEvent).where(StageEvent.cooperative_id == coop.id, StageEvent.stage == stage)
    ).scalar_one_or_none()
    before = {"stage": coop.stage.value}
    if event is None:
        session.add(
            StageEvent(cooperative_id=coop.id, stage=stage, reached_on=reached_on, note=note)
        )
    else:
        event.reached_on = reached_on
        event.note = note
    if STAGE_ORDER[stage] > coop.stage_rank:
        coop.stage = stage
        coop.stage_rank = STAGE_ORDER[stage]
    session.flush()
    record(
        session,
        actor,
        "cooperative.record_stage",
        target_type="cooperative",
        target_id=coop.id,
        before=before,
        after={
            "stage": coop.stage.value,
            "recorded": stage.value,
            "reached_on": _jsonable(reached_on),
        },
    )
    note_change(session)
    moved = ["stage"] if before["stage"] != coop.stage.value else []
    announce(session, coop.id, ChangeType.stage_recorded, fields=[*moved, "stage_history"])
    return coop


def add_outlet(
    session: Session,
    actor: Actor,
    cooperative_id: int,
    outlet_type: OutletType,
    *,
    kbli: str | None = None,
    status: OutletStatus = OutletStatus.operating,
    opened_on: date | None = None,
) -> Outlet:
    """Add a business outlet (gerai); its KBLI code must be one of its type's."""
    coop = get_cooperative(session, cooperative_id, field="cooperative_id")
    allowed = OUTLET_KBLI[outlet_type]
    kbli = (kbli or "").strip() or None
    if kbli is None and len(allowed) == 1:
        kbli = allowed[0]
    if kbli is not None and kbli not in allowed:
        choices = ", ".join(allowed) if allowed else "none (leave it empty)"
        raise InvalidInput("kbli", f"{kbli} is not a KBLI code of {outlet_type.value}: {choices}")
    duplicate = session.execute(
        select(Outlet.id).where(
            Outlet.cooperative_id == coop.id,
            Outlet.type == outlet_type,
            Outlet.kbli.is_(None) if kbli is None else Outlet.kbli == kbli,
        )
    ).scalar_one_or_none()
    if duplicate is not None:
        raise Conflict("type", f"the cooperative already has this outlet (id {duplicate})")
    outlet = Outlet(
        cooperative_id=coop.id, type=outlet_type, kbli=kbli, status=status, opened_on=opened_on
    )
    session.add(outlet)
    session.flush()
    record(
        session,
        actor,
        "cooperative.add_outlet",
        target_type="cooperative",
        target_id=coop.id,
        after={
            "outlet_id": outlet.id,
            "type": outlet_type.value,
            "kbli": kbli,
            "status": status.value,
        },
    )
    note_change(session)
    announce(session, coop.id, ChangeType.outlet_added, fields=["outlets"])
    return outlet


def link_villages(
    session: Session,
    actor: Actor,
    cooperative_id: int,
    *,
    link: Sequence[str] = (),
    unlink: Sequence[str] = (),
    expected_version: int | None = None,
) -> Cooperative:
    """Add villages to a cooperative (a merger) or take them off; at least one must remain."""
    coop = get_cooperative(session, cooperative_id, field="cooperative_id")
    check_version(coop, expected_version)
    if not link and not unlink:
        raise InvalidInput("link", "give villages to link or to unlink")
    rows = session.execute(
        select(Region.code, Region.id)
        .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
        .where(CooperativeVillage.cooperative_id == coop.id)
    ).all()
    current: dict[str, int] = {row[0]: row[1] for row in rows}
    before = sorted(current)
    for i, code in enumerate(unlink):
        if code not in current:
            raise NotFound(f"unlink[{i}]", f"village {code} is not linked to this cooperative")
    to_link = [c for c in link if c not in current]
    villages = villages_by_code(session, to_link, field="link") if to_link else []
    _ensure_unlinked(session, villages, field="link", allow=coop.id)
    remaining = (set(current) - set(unlink)) | {v.code for v in villages}
    if not remaining:
        raise InvalidInput("unlink", "a cooperative must keep at least one village")
    kinds = {
        kind
        for (kind,) in session.execute(select(Region.kind).where(Region.code.in_(remaining))).all()
    }
    if len(kinds) > 1:
        raise InvalidInput("link", "a cooperative covers desa or kelurahan, not both")
    for code in unlink:
        session.execute(
            delete(CooperativeVillage).where(
                CooperativeVillage.cooperative_id == coop.id,
                CooperativeVillage.village_id == current[code],
            )
        )
    session.add_all(_links(coop, villages))
    # Touch the row so its version moves: the villages are part of what a steward read.
    coop.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "cooperative.link_villages",
        target_type="cooperative",
        target_id=coop.id,
        before={"villages": before},
        after={"villages": sorted(remaining)},
    )
    note_change(session)
    types = [
        *([ChangeType.villages_linked] if villages else []),
        *([ChangeType.villages_unlinked] if unlink else []),
        *([ChangeType.merged] if len(current) <= 1 < len(remaining) else []),
    ]
    announce(session, coop.id, *types, fields=["villages"], also_in=unlink)
    return coop
