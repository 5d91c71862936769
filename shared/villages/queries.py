"""Region queries the village list answers: villages that have a cooperative, retired or not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import Session

from shared.models import Cooperative, CooperativeVillage, Edition, Region, RegionLevel


def retired_with_cooperative() -> ColumnElement[bool]:
    """A region that is a village retired by an edition and still linked to a cooperative."""
    return and_(
        Region.level == RegionLevel.village,
        Region.retired_edition_id.is_not(None),
        exists(
            select(CooperativeVillage.village_id).where(CooperativeVillage.village_id == Region.id)
        ),
    )


@dataclass(frozen=True, slots=True)
class RetiredVillageWithCooperative:
    code: str
    name: str
    retired_edition_id: int
    retired_edition_label: str
    cooperative_id: int
    cooperative_name: str


def retired_villages_with_cooperatives(
    session: Session, *, edition_id: int | None = None, province_code: str | None = None
) -> list[RetiredVillageWithCooperative]:
    """Retired villages that still have a cooperative (they need a mapping or a decision)."""
    query = (
        select(
            Region.code,
            Region.name,
            Region.retired_edition_id,
            Edition.label,
            Cooperative.id,
            Cooperative.name,
        )
        .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .join(Edition, Edition.id == Region.retired_edition_id)
        .where(Region.level == RegionLevel.village, Region.retired_edition_id.is_not(None))
        .order_by(Region.code)
    )
    if edition_id is not None:
        query = query.where(Region.retired_edition_id == edition_id)
    if province_code is not None:
        query = query.where(Region.province_code == province_code)
    return [
        RetiredVillageWithCooperative(
            code=code,
            name=name,
            retired_edition_id=int(retired or 0),
            retired_edition_label=label,
            cooperative_id=coop_id,
            cooperative_name=coop_name,
        )
        for code, name, retired, label, coop_id, coop_name in session.execute(query).all()
    ]


@dataclass(frozen=True, slots=True)
class VillageWithCooperative:
    region_id: int
    code: str
    name: str
    cooperative_id: int
    cooperative_name: str


def villages_with_cooperatives(session: Session) -> list[VillageWithCooperative]:
    """Every current village that has a cooperative, by code (at most one row per village of
    the country: one indexed join, cheaper than an IN list of tens of thousands of ids)."""
    query = (
        select(Region.id, Region.code, Region.name, Cooperative.id, Cooperative.name)
        .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .where(Region.level == RegionLevel.village, Region.retired_edition_id.is_(None))
        .order_by(Region.code)
    )
    return [VillageWithCooperative(*row) for row in session.execute(query).all()]
