"""Data-quality findings, read from the stored data:

* **shared villages**: villages that two or more cooperatives claim (the registry files them
  so: in August 2026, 96 regencies count more cooperatives than villages). Coverage counts
  such a village once; here each is listed with its cooperatives.
* **unplaced rows**: rows of name-keyed registry files whose place could not be reconciled
  (misfiled, unknown, ambiguous), kept per source by the last import
  (``unplaced_registry_rows``); they are counted in no region's figures.

Both are public data (village and cooperative names, the registry's own place names and
counts). ``within`` limits everything to a region (a code prefix, as a scoped key's
province does); unplaced rows whose province could not be found belong to no region, so
only an unlimited read sees them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from shared.models import (
    Cooperative,
    CooperativeVillage,
    Region,
    RegionLevel,
    UnplacedRegistryRow,
)

# Per-region counts: the level asked for, and the region code column of each table.
_VILLAGE_KEY = {
    RegionLevel.province: Region.province_code,
    RegionLevel.regency: Region.regency_code,
}
_CODE_LENGTH = {RegionLevel.province: 2, RegionLevel.regency: 5}


@dataclass(frozen=True, slots=True)
class ClaimingCooperative:
    id: int
    registry_id: str | None
    name: str


@dataclass(frozen=True, slots=True)
class SharedVillage:
    id: int
    code: str
    name: str
    cooperatives: tuple[ClaimingCooperative, ...]


@dataclass(frozen=True, slots=True)
class RegionFindings:
    code: str | None  # None: unplaced rows whose province was not found
    name: str | None
    shared_villages: int = 0
    cooperatives_in_shared_villages: int = 0
    unplaced_rows: int = 0
    unplaced_cooperatives: int = 0


@dataclass(frozen=True, slots=True)
class Totals:
    shared_villages: int
    cooperatives_in_shared_villages: int
    unplaced_rows: int
    unplaced_cooperatives: int


def _claims() -> Select[int, int]:
    """(village id, cooperatives) of every village claimed by two or more cooperatives."""
    return (
        select(
            CooperativeVillage.village_id.label("village_id"),
            func.count().label("claims"),
        )
        .group_by(CooperativeVillage.village_id)
        .having(func.count() > 1)
    )


def _within_code(within: str | None) -> ColumnElement[bool]:
    return true() if within is None else Region.code.like(f"{within}%")


def _unplaced_within(within: str | None) -> ColumnElement[bool]:
    if within is None:
        return true()
    return func.coalesce(UnplacedRegistryRow.region_code, "").like(f"{within}%")


def totals(session: Session, within: str | None = None) -> Totals:
    claims = _claims().subquery()
    shared = session.execute(
        select(func.count(), func.coalesce(func.sum(claims.c.claims), 0))
        .select_from(claims)
        .join(Region, Region.id == claims.c.village_id)
        .where(_within_code(within))
    ).one()
    unplaced = session.execute(
        select(func.count(), func.coalesce(func.sum(UnplacedRegistryRow.cooperatives), 0)).where(
            _unplaced_within(within)
        )
    ).one()
    return Totals(int(shared[0]), int(shared[1]), int(unplaced[0]), int(unplaced[1]))


def shared_villages(
    session: Session, within: str | None = None, *, after: str | None = None, limit: int = 50
) -> list[SharedVillage]:
    """Shared villages in code order (keyset: the codes after ``after``), with their
    cooperatives in id order."""
    claims = _claims().subquery()
    query = (
        select(Region.id, Region.code, Region.name)
        .join(claims, claims.c.village_id == Region.id)
        .where(_within_code(within))
        .order_by(Region.code)
        .limit(limit)
    )
    if after is not None:
        query = query.where(Region.code > after)
    villages = session.execute(query).all()
    ids = [v.id for v in villages]
    claimed: dict[int, list[ClaimingCooperative]] = {i: [] for i in ids}
    for village_id, coop_id, registry_id, name in session.execute(
        select(
            CooperativeVillage.village_id, Cooperative.id, Cooperative.registry_id, Cooperative.name
        )
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .where(CooperativeVillage.village_id.in_(ids))
        .order_by(Cooperative.id)
    ):
        claimed[village_id].append(ClaimingCooperative(coop_id, registry_id, name))
    return [SharedVillage(v.id, v.code, v.name, tuple(claimed[v.id])) for v in villages]


def unplaced_rows(
    session: Session, within: str | None = None, *, after: int | None = None, limit: int = 50
) -> list[UnplacedRegistryRow]:
    """Unplaced rows by source and line (keyset: the ids after ``after``)."""
    query = (
        select(UnplacedRegistryRow)
        .where(_unplaced_within(within))
        .order_by(UnplacedRegistryRow.id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(UnplacedRegistryRow.id > after)
    return list(session.execute(query).scalars())


def by_region(
    session: Session, level: RegionLevel, within: str | None = None
) -> list[RegionFindings]:
    """The findings counted per province or regency (only regions with any), in code order;
    unplaced rows whose region at that level was not found come last, with no code."""
    key = _VILLAGE_KEY[level]
    claims = _claims().subquery()
    found: dict[str | None, dict[str, int]] = {}
    for code, villages, cooperatives in session.execute(
        select(key, func.count(), func.sum(claims.c.claims))
        .select_from(claims)
        .join(Region, Region.id == claims.c.village_id)
        .where(_within_code(within))
        .group_by(key)
    ):
        found.setdefault(code, {})
        found[code].update(shared_villages=int(villages), cooperatives=int(cooperatives or 0))
    length = _CODE_LENGTH[level]
    region = func.substr(UnplacedRegistryRow.region_code, 1, length)
    for code, rows, cooperatives in session.execute(
        select(region, func.count(), func.sum(UnplacedRegistryRow.cooperatives))
        .where(_unplaced_within(within))
        .group_by(region)
    ):
        place = code if code is not None and len(code) == length else None
        entry = found.setdefault(place, {})
        entry["unplaced_rows"] = entry.get("unplaced_rows", 0) + int(rows)
        entry["unplaced_cooperatives"] = entry.get("unplaced_cooperatives", 0) + int(
            cooperatives or 0
        )
    names = dict(
        session.execute(
            select(Region.code, Region.name).where(
                Region.code.in_([c for c in found if c is not None])
            )
        ).all()
    )
    return [
        RegionFindings(
            code,
            names.get(code) if code else None,
            shared_villages=f.get("shared_villages", 0),
            cooperatives_in_shared_villages=f.get("cooperatives", 0),
            unplaced_rows=f.get("unplaced_rows", 0),
            unplaced_cooperatives=f.get("unplaced_cooperatives", 0),
        )
        for code, f in sorted(found.items(), key=lambda item: (item[0] is None, item[0] or ""))
    ]
