"""Regions of the official list: provinces, regencies, districts, villages."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from sqlalchemy import ColumnElement, func
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.errors import bad_input
from api.pagination import (
    Connection,
    build_connection,
    connection_of,
    decode_cursor,
    empty_connection,
    page_size,
)
from api.schema.common import Node, global_id
from api.schema.coverage import Coverage, coverage_of
from shared.copying import fields_from
from shared.models import Region as RegionModel
from shared.models import RegionKind, RegionLevel, codes_above, level_of_code
from shared.regions import queries
from shared.regions.queries import RegionRow, like_pattern, region_code_clause
from shared.villages.queries import retired_with_cooperative

if TYPE_CHECKING:
    from api.schema.cooperatives.types import Cooperative

NodeT = TypeVar("NodeT")

RETIRED_WITH_COOPERATIVES = (
    "Villages retired from the official list that still have a cooperative:"
    " the cooperatives to re-attach to a current village."
)
# Most children under one parent in the official list: districts per regency and villages per
# district stay below this, so a drill-down needs no second page.
CHILDREN_PAGE = 100


@strawberry.interface(
    description="A region of the official list: a Province, Regency, District or Village."
)
class Region(Node):
    code: str = strawberry.field(description='Official code, e.g. "64", "64.72", "64.72.05".')
    name: str = strawberry.field(description="Official name.")
    level: RegionLevel = strawberry.field(description="province, regency, district or village.")
    retired: bool = strawberry.field(
        description="No longer in the current edition; kept because data may refer to it."
    )
    row_id: strawberry.Private[int]

    @strawberry.field(description="The region directly above; null for a province.")
    async def parent(self, info: Info[Context, Any]) -> Region | None:
        codes = codes_above(self.code)
        if not codes:
            return None
        row = await loaders.region_by_code(info.context).load(codes[-1])
        return to_region(row) if row else None

    @strawberry.field(description="Every region above, province first.")
    async def ancestors(self, info: Info[Context, Any]) -> list[Region]:
        rows = await loaders.region_by_code(info.context).load_many(codes_above(self.code))
        return [to_region(r) for r in rows if r is not None]

    @strawberry.field(
        description=(
            "Current coverage; null before the first recalculation. A village's is read live,"
            " at the current data version, and is never stale."
        )
    )
    async def coverage(self, info: Info[Context, Any]) -> Coverage | None:
        return await coverage_of(info, self.code)

    @strawberry.field(description="Regions directly below, by code (none below a village).")
    async def children(
        self,
        info: Info[Context, Any],
        first: Annotated[
            int,
            strawberry.argument(
                description="Page size (at most the server's maximum); the default holds"
                " every region under one parent in the official list."
            ),
        ] = CHILDREN_PAGE,
        after: Annotated[
            str | None, strawberry.argument(description="Cursor to continue after.")
        ] = None,
        include_retired: Annotated[
            bool,
            strawberry.argument(description="Include regions retired from the current edition."),
        ] = False,
    ) -> Connection[Region]:
        if self.level == RegionLevel.village:
            return empty_connection()
        size = page_size(first)
        key = decode_cursor(after, 1)
        after_code = str(key[0]) if key else None
        ctx = info.context
        rows = await loaders.children_page(ctx).load(
            loaders.ChildrenKey(self.row_id, size, after_code, include_retired)
        )
        row_id = self.row_id

        async def count() -> int:
            return await loaders.children_count(ctx).load((row_id, include_retired))

        return build_connection(rows, size, _by_code, to_region, after=after, count=count)


@strawberry.type(description="A province (provinsi).")
class Province(Region):
    pass


@strawberry.type(description="A district (kecamatan).")
class District(Region):
    pass


@strawberry.type(description="A regency (kabupaten) or city (kota).")
class Regency(Region):
    kind: RegionKind = strawberry.field(description="kabupaten or kota.")


@strawberry.type(description="A village: a desa (rural) or kelurahan (urban).")
class Village(Region):
    kind: RegionKind = strawberry.field(description="desa or kelurahan.")
    customary: bool = strawberry.field(description="A desa adat (customary village).")

    @strawberry.field(description="Cooperatives covering this village (at most one, usually).")
    async def cooperatives(
        self, info: Info[Context, Any]
    ) -> list[Annotated[Cooperative, strawberry.lazy("api.schema.cooperatives.types")]]:
        # Cooperatives and villages refer to each other: a lazy type, and a late import.
        from api.schema.cooperatives.types import to_cooperative

        rows = await loaders.cooperatives_of_village(info.context).load(self.row_id)
        return [to_cooperative(r) for r in rows]


def to_region(row: RegionRow) -> Region:
    cls = _TYPE_OF_LEVEL[row.level]
    return fields_from(
        cls,
        row,
        id=global_id(cls.__name__, row.code),
        retired=row.retired_edition_id is not None,
        row_id=row.id,
        # Every regency and village row has its kind (a CHECK constraint holds them to it).
        kind=row.kind or (RegionKind.kabupaten if cls is Regency else RegionKind.desa),
    )


_TYPE_OF_LEVEL: dict[RegionLevel, type[Region]] = {
    RegionLevel.province: Province,
    RegionLevel.regency: Regency,
    RegionLevel.district: District,
    RegionLevel.village: Village,
}


def to_village(row: RegionRow) -> Village:
    region = to_region(row)
    assert isinstance(region, Village)
    return region


@strawberry.type
class RegionQuery:
    @strawberry.field(description="One region by its official code, or null.")
    async def region(self, info: Info[Context, Any], code: str) -> Region | None:
        row = await loaders.region_by_code(info.context).load(code.strip())
        return to_region(row) if row else None

    @strawberry.field(description="Every province of the current edition, by code.")
    async def provinces(self, info: Info[Context, Any]) -> list[Province]:
        rows = await loaders.run(info.context, queries.provinces())
        return [p for p in map(to_region, rows) if isinstance(p, Province)]

    @strawberry.field(
        description="Regions by level, parent and name, by code. Retired regions are left out."
    )
    async def regions(
        self,
        info: Info[Context, Any],
        level: RegionLevel | None = None,
        parent_code: Annotated[
            str | None,
            strawberry.argument(description="Only regions inside this region (any level above)."),
        ] = None,
        search: Annotated[
            str | None, strawberry.argument(description="Part of the name, case-insensitive.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Region]:
        conditions: list[ColumnElement[bool]] = [RegionModel.retired_edition_id.is_(None)]
        if level is not None:
            conditions.append(RegionModel.level == level)
        if parent_code:
            if level_of_code(parent_code) in (None, RegionLevel.village):
                raise bad_input(
                    "`parentCode` must be a province, regency or district code",
                    argument="parentCode",
                )
            conditions.append(region_code_clause(parent_code))
            conditions.append(RegionModel.code != parent_code)
        if search and search.strip():
            conditions.append(func.lower(RegionModel.name).like(like_pattern(search), escape="\\"))
        return await _page_by_code(info, conditions, first, after, to_region)

    @strawberry.field(description=RETIRED_WITH_COOPERATIVES)
    async def retired_villages_with_cooperatives(
        self,
        info: Info[Context, Any],
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Village]:
        conditions = [retired_with_cooperative()]
        return await _page_by_code(info, conditions, first, after, to_village)


async def _page_by_code(
    info: Info[Context, Any],
    conditions: list[ColumnElement[bool]],
    first: int | None,
    after: str | None,
    node: Callable[[RegionRow], NodeT],
) -> Connection[NodeT]:
    """A keyset page of the regions matching ``conditions``, in code order, counted on request."""
    size = page_size(first)
    key = decode_cursor(after, 1)
    ctx = info.context
    read = queries.region_page(conditions, str(key[0]) if key else None, size)
    page = await loaders.run(ctx, read)
    count = loaders.count_of(ctx, queries.region_count(conditions))
    return connection_of(page, _by_code, node, after=after, count=count)


def _by_code(row: RegionRow) -> tuple[str]:
    return (row.code,)
