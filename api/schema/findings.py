"""Data-quality findings over GraphQL: villages several cooperatives claim, and registry rows
whose place could not be reconciled, with counts per region (``shared.findings``).

Public, like coverage and cooperatives: what is listed is the registry's own public data, so
every caller reads the same (a partner key's province scope adds profiles, never hides public
data: ``docs/access.md``). A malformed region code reads as a region with no findings.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from api.context import Context
from api.pagination import Connection, build_connection, decode_cursor, page_size
from shared.copying import fields_from
from shared.findings import service
from shared.models import REGION_CODE, RegionLevel

T = TypeVar("T")
N = TypeVar("N")


@strawberry.enum(description="The level findings are counted at.")
class FindingLevel(Enum):
    PROVINCE = "province"
    REGENCY = "regency"


@strawberry.type(description="A cooperative claiming a shared village.")
class ClaimingCooperative:
    registry_id: str | None = strawberry.field(description="Its national registry id.")
    name: str = strawberry.field(description="Its name.")


@strawberry.type(description="A village two or more cooperatives claim (counted covered once).")
class SharedVillage:
    code: str = strawberry.field(description="The village's official code.")
    name: str = strawberry.field(description="Its official name.")
    cooperatives: list[ClaimingCooperative] = strawberry.field(
        description="The cooperatives claiming it, oldest record first."
    )


@strawberry.type(description="A registry row whose place could not be reconciled.")
class UnplacedRow:
    source: str = strawberry.field(description='The source (its crosswalk), e.g. "simkopdes".')
    line: int = strawberry.field(description="The line in the file last imported.")
    place: str = strawberry.field(description="The names as the source gives them.")
    level: str = strawberry.field(description="The level that could not be placed.")
    outcome: str = strawberry.field(description="misfiled, unknown or ambiguous.")
    reason: str = strawberry.field(description="Why, for people.")
    cooperatives: int = strawberry.field(description="Cooperatives the row counts.")
    registry_id: str | None = strawberry.field(description="A listed cooperative's registry id.")
    name: str | None = strawberry.field(description="A listed cooperative's name.")
    region_code: str | None = strawberry.field(description="The deepest region found above it.")
    candidate_code: str | None = strawberry.field(
        description="Misfiled: where a place of that name is."
    )


@strawberry.type(description="Findings counted in one region.")
class RegionFindings:
    code: str | None = strawberry.field(
        description="The region; null for rows whose region at this level was not found."
    )
    name: str | None = strawberry.field(description="Its official name.")
    shared_villages: int = strawberry.field(description="Villages claimed more than once.")
    cooperatives_in_shared_villages: int = strawberry.field(description="Claims on those villages.")
    unplaced_rows: int = strawberry.field(description="Registry rows not placed.")
    unplaced_cooperatives: int = strawberry.field(description="Cooperatives those rows count.")


@strawberry.type(description="Data-quality findings in a region (or the whole country).")
class DataQualityFindings:
    region_code: str | None = strawberry.field(description="The region asked for, if any.")
    shared_villages_count: int = strawberry.field(description="Villages claimed more than once.")
    cooperatives_in_shared_villages: int = strawberry.field(description="Claims on them.")
    unplaced_rows_count: int = strawberry.field(description="Registry rows not placed.")
    unplaced_cooperatives: int = strawberry.field(description="Cooperatives those rows count.")
    within: strawberry.Private[str | None]
    hidden: strawberry.Private[bool]

    @strawberry.field(description="The findings counted per province or regency, code order.")
    async def by_region(
        self, info: Info[Context, Any], level: FindingLevel = FindingLevel.PROVINCE
    ) -> list[RegionFindings]:
        if self.hidden:
            return []
        rows = await _read(
            info, lambda s: service.by_region(s, RegionLevel(level.value), self.within)
        )
        return [fields_from(RegionFindings, r) for r in rows]

    @strawberry.field(description="The shared villages, code order, in pages.")
    async def shared_villages(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[SharedVillage]:
        def read(session: Session, key: Any, limit: int) -> list[Any]:
            code = None if key is None else str(key)
            return service.shared_villages(session, self.within, after=code, limit=limit)

        return await _page(
            info,
            None if self.hidden else read,
            (first, after),
            lambda v: (v.code,),
            lambda v: SharedVillage(
                code=v.code,
                name=v.name,
                cooperatives=[fields_from(ClaimingCooperative, c) for c in v.cooperatives],
            ),
            self.shared_villages_count,
        )

    @strawberry.field(description="The registry rows not placed, in pages.")
    async def unplaced_rows(
        self, info: Info[Context, Any], first: int | None = None, after: str | None = None
    ) -> Connection[UnplacedRow]:
        def read(session: Session, key: Any, limit: int) -> list[Any]:
            row_id = None if key is None else int(key)
            return service.unplaced_rows(session, self.within, after=row_id, limit=limit)

        return await _page(
            info,
            None if self.hidden else read,
            (first, after),
            lambda r: (r.id,),
            lambda r: fields_from(UnplacedRow, r),
            self.unplaced_rows_count,
        )


async def _page(
    info: Info[Context, Any],
    read: Callable[[Session, Any, int], list[Any]] | None,
    window: tuple[int | None, str | None],
    key: Callable[[Any], tuple[Any, ...]],
    node: Callable[[Any], N],
    total: int,
) -> Connection[N]:
    """A page of findings after the cursor (one key), read by ``read(session, key, limit)``;
    none when ``read`` is None (a region the caller cannot see)."""
    first, after = window
    size = page_size(first)
    cursor = decode_cursor(after, 1)
    start = cursor[0] if cursor else None
    rows = [] if read is None else await _read(info, lambda s: read(s, start, size + 1))

    async def count() -> int:
        return total

    return build_connection(rows, size, key, node, after=after, count=count)


async def _read(info: Info[Context, Any], read: Callable[[Session], T]) -> T:
    async with info.context.db.new_async_session() as session:
        return await session.run_sync(read)


@strawberry.type
class FindingsQuery:
    @strawberry.field(
        description="Data-quality findings: villages several cooperatives claim (covered once"
        " in coverage) and registry rows whose place could not be reconciled (counted in no"
        ' region), in a region (a code prefix: "64", "64.72") or the whole country.'
    )
    async def data_quality_findings(
        self, info: Info[Context, Any], region_code: str | None = None
    ) -> DataQualityFindings:
        asked = (region_code or "").strip() or None
        hidden = asked is not None and not REGION_CODE.fullmatch(asked)
        within = asked
        totals = (
            service.Totals(0, 0, 0, 0)
            if hidden
            else await _read(info, lambda s: service.totals(s, within))
        )
        return DataQualityFindings(
            region_code=asked,
            shared_villages_count=totals.shared_villages,
            cooperatives_in_shared_villages=totals.cooperatives_in_shared_villages,
            unplaced_rows_count=totals.unplaced_rows,
            unplaced_cooperatives=totals.unplaced_cooperatives,
            within=within,
            hidden=hidden,
        )
