"""Coverage figures: how many villages have a cooperative, for the nation and every region."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.errors import bad_input
from shared.copying import fields_from
from shared.models import CoverageFigure, CoverageSnapshot, OutletType, RegionLevel

HISTORY_LIMIT = 1000


@strawberry.type(description="Covered villages by the stage their cooperative has reached.")
class CoverageFunnel:
    covered: int = strawberry.field(description="Villages with a cooperative at any stage.")
    formed: int = strawberry.field(
        description="Villages whose cooperative held its founding meeting or went further."
    )
    legal_entity: int = strawberry.field(
        description="Villages whose cooperative is a legal entity (SK AHU) or further."
    )
    operational: int = strawberry.field(description="Villages whose cooperative operates.")


@strawberry.type(description="Proposals for new cooperatives, by status.")
class ProposalCounts:
    total: int = strawberry.field(description="All proposals.")
    submitted: int = strawberry.field(description="Awaiting a decision.")
    approved: int = strawberry.field(description="Approved, cooperative not formed yet.")
    rejected: int = strawberry.field(description="Rejected.")
    formed: int = strawberry.field(description="The proposed cooperative was formed.")


_PROPOSAL_COUNTS = ("total", "submitted", "approved", "rejected", "formed")


@strawberry.type(description="Coverage of one scope (the nation or a region) at one time.")
class Coverage:
    scope_code: str = strawberry.field(description='Region code, or "" for the nation.')
    level: str = strawberry.field(description="nation, province, regency, district or village.")
    active_villages: int = strawberry.field(description="Villages in the current official list.")
    desa_count: int = strawberry.field(description="Active villages that are desa.")
    kelurahan_count: int = strawberry.field(description="Active villages that are kelurahan.")
    covered_villages: int = strawberry.field(description="Active villages with a cooperative.")
    coverage_percent: float = strawberry.field(
        description="coveredVillages / activeVillages x 100, two decimals."
    )
    cooperatives: int = strawberry.field(description="Cooperatives covering villages here.")
    kdmp: int = strawberry.field(description="Of which Koperasi Desa Merah Putih.")
    kkmp: int = strawberry.field(description="Of which Koperasi Kelurahan Merah Putih.")
    mergers: int = strawberry.field(description="Cooperatives covering several villages.")
    mockups: int = strawberry.field(description="National model cooperatives (mockups).")
    retired_villages_with_cooperatives: int = strawberry.field(
        description="Villages retired from the official list that still have a cooperative."
    )
    funnel: CoverageFunnel = strawberry.field(description="Covered villages by stage.")
    proposals: ProposalCounts = strawberry.field(description="Proposals for new cooperatives.")
    outlets: list[OutletCount] = strawberry.field(description="Outlets by type.")
    data_version: int = strawberry.field(description="Data version the figures reflect.")
    computed_at: datetime = strawberry.field(description="When the figures were computed.")
    stale: bool = strawberry.field(
        description="The data changed since; a recalculation is queued or running."
    )


@strawberry.type(description="Outlets (gerai) of one type.")
class OutletCount:
    type: OutletType = strawberry.field(description="The outlet type.")
    count: int = strawberry.field(description="How many outlets of this type.")


def to_coverage(figure: CoverageFigure | CoverageSnapshot, current_version: int) -> Coverage:
    outlets = figure.outlets or {}
    return fields_from(
        Coverage,
        figure,
        funnel=CoverageFunnel(
            covered=figure.covered_villages,
            formed=figure.covered_formed,
            legal_entity=figure.covered_legal_entity,
            operational=figure.covered_operational,
        ),
        proposals=ProposalCounts(
            **{field: getattr(figure, f"proposals_{field}") for field in _PROPOSAL_COUNTS}
        ),
        outlets=[
            OutletCount(type=OutletType(k), count=int(v))
            for k, v in sorted(outlets.items())
            if k in OutletType.__members__
        ],
        stale=figure.data_version < current_version,
    )


async def coverage_of(info: Info[Context, Any], scope_code: str) -> Coverage | None:
    """Current coverage of a scope, or null before the first recalculation."""
    ctx = info.context
    figure = await loaders.coverage(ctx).load(scope_code)
    if figure is None:
        return None
    state = await loaders.versions(ctx)
    return to_coverage(figure, state.data_version)


@strawberry.type
class CoverageQuery:
    @strawberry.field(description="Coverage of the whole country.")
    async def national_coverage(self, info: Info[Context, Any]) -> Coverage | None:
        return await coverage_of(info, "")

    @strawberry.field(
        description=(
            "Coverage of a scope after each recalculation, oldest first, for trends;"
            ' code "" (or omitted) is the nation. At most 1000 points.'
        )
    )
    async def coverage_history(
        self,
        info: Info[Context, Any],
        code: str | None = None,
        from_: Annotated[
            date | None, strawberry.argument(name="from", description="First day (inclusive).")
        ] = None,
        to: Annotated[date | None, strawberry.argument(description="Last day (inclusive).")] = None,
    ) -> list[Coverage]:
        scope = code or ""
        if from_ and to and from_ > to:
            raise bad_input("`from` is after `to`", argument="from")
        stmt = select(CoverageSnapshot).where(CoverageSnapshot.scope_code == scope)
        if from_ is not None:
            stmt = stmt.where(
                CoverageSnapshot.computed_at >= datetime.combine(from_, datetime.min.time(), UTC)
            )
        if to is not None:
            stmt = stmt.where(
                CoverageSnapshot.computed_at
                < datetime.combine(to + timedelta(days=1), datetime.min.time(), UTC)
            )
        stmt = stmt.order_by(CoverageSnapshot.computed_at.desc(), CoverageSnapshot.id.desc())
        rows = await loaders.scalars(info.context, stmt.limit(HISTORY_LIMIT))
        state = await loaders.versions(info.context)
        return [to_coverage(r, state.data_version) for r in reversed(rows)]


__all__ = ["Coverage", "CoverageQuery", "RegionLevel", "coverage_of", "to_coverage"]
