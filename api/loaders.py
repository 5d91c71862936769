"""DataLoaders: one per relation per request, each batch in its own session.

One AsyncSession is not safe across the concurrent tasks of one GraphQL request, so every
batch opens its own. A relation costs one statement per request level whatever the number
of parents, which is what keeps the national dashboard and cooperative pages at a fixed
number of statements.

Coverage figures change only when a recalculation commits, which bumps the versions in
``data_state``; they are cached in-process keyed by those versions, so polling dashboards
cost one small read of ``data_state`` per request.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from api.context import Context
from shared.coverage.service import VILLAGE_FIGURES, is_village_scope, village_figure
from shared.models import (
    Cooperative,
    CooperativeVillage,
    CoverageFigure,
    DataState,
    MemberCount,
    Officer,
    Outlet,
    Region,
    StageEvent,
    utcnow,
)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class Versions:
    data_version: int
    coverage_version: int
    coverage_computed_at: datetime | None
    changed_at: datetime | None = None

    @property
    def key(self) -> tuple[Any, ...]:
        """What every version-keyed cache is keyed by. The timestamps tell apart two databases
        (or one emptied and refilled, as tests do) that happen to reach the same numbers."""
        return (
            self.data_version,
            self.coverage_version,
            self.changed_at,
            self.coverage_computed_at,
        )


async def scalars(ctx: Context, stmt: Any) -> list[Any]:
    session: AsyncSession
    async with ctx.db.new_async_session() as session:
        return list((await session.execute(stmt)).scalars().all())


async def fetch_rows(ctx: Context, stmt: Any) -> list[Any]:
    async with ctx.db.new_async_session() as session:
        return list((await session.execute(stmt)).all())


def counter(ctx: Context, model: Any, conditions: Sequence[Any]) -> Callable[[], Awaitable[int]]:
    """How many rows of ``model`` meet the conditions: a list's total, counted only when a
    client asks for it."""

    async def count() -> int:
        rows = await fetch_rows(ctx, select(func.count()).select_from(model).where(*conditions))
        return int(rows[0][0])

    return count


def loader(
    ctx: Context, name: str, batch: Callable[[Context, list[K]], Awaitable[Sequence[V]]]
) -> DataLoader[K, V]:
    """The request's loader for one relation (made on first use)."""
    existing = ctx.loaders.get(name)
    if existing is None:

        async def load(keys: list[K]) -> Sequence[V]:
            return await batch(ctx, keys)

        existing = DataLoader(load_fn=load)
        ctx.loaders[name] = existing
    return existing


async def versions(ctx: Context) -> Versions:
    """The data and coverage versions, read once per request."""
    task = ctx.loaders.get("__versions")
    if task is None:

        async def read() -> Versions:
            rows = await fetch_rows(
                ctx,
                select(
                    DataState.data_version,
                    DataState.coverage_version,
                    DataState.coverage_computed_at,
                    DataState.changed_at,
                ).where(DataState.id == 1),
            )
            if not rows:
                return Versions(0, -1, None)
            return Versions(int(rows[0][0]), int(rows[0][1]), rows[0][2], rows[0][3])

        task = asyncio.ensure_future(read())
        ctx.loaders["__versions"] = task
    result: Versions = await task
    return result


# --- regions -------------------------------------------------------------------------------


async def _regions_by_code(ctx: Context, codes: list[str]) -> list[Region | None]:
    found = {r.code: r for r in await scalars(ctx, select(Region).where(Region.code.in_(codes)))}
    return [found.get(c) for c in codes]


def region_by_code(ctx: Context) -> DataLoader[str, Region | None]:
    return loader(ctx, "region_by_code", _regions_by_code)


@dataclass(frozen=True, slots=True)
class ChildrenKey:
    parent_id: int
    first: int
    after: str | None
    include_retired: bool


async def _children(ctx: Context, keys: list[ChildrenKey]) -> list[list[Region]]:
    # Parents asked with the same page arguments share one windowed query.
    groups: dict[tuple[int, str | None, bool], list[int]] = defaultdict(list)
    for key in keys:
        groups[(key.first, key.after, key.include_retired)].append(key.parent_id)
    pages: dict[tuple[int, int, str | None, bool], list[Region]] = {}
    for (first, after, include_retired), parent_ids in groups.items():
        rank = (
            func.row_number()
            .over(partition_by=Region.parent_id, order_by=Region.code)
            .label("rank")
        )
        inner = select(Region.id, rank).where(Region.parent_id.in_(parent_ids))
        if after is not None:
            inner = inner.where(Region.code > after)
        if not include_retired:
            inner = inner.where(Region.retired_edition_id.is_(None))
        sub = inner.subquery()
        stmt = (
            select(Region)
            .join(sub, sub.c.id == Region.id)
            .where(sub.c.rank <= first + 1)
            .order_by(Region.parent_id, Region.code)
        )
        by_parent: dict[int, list[Region]] = defaultdict(list)
        for region in await scalars(ctx, stmt):
            assert region.parent_id is not None
            by_parent[region.parent_id].append(region)
        for parent_id in parent_ids:
            pages[(parent_id, first, after, include_retired)] = by_parent.get(parent_id, [])
    return [pages[(k.parent_id, k.first, k.after, k.include_retired)] for k in keys]


def children_page(ctx: Context) -> DataLoader[ChildrenKey, list[Region]]:
    return loader(ctx, "children_page", _children)


async def _children_counts(ctx: Context, keys: list[tuple[int, bool]]) -> list[int]:
    counts: dict[tuple[int, bool], int] = {}
    for include_retired in {k[1] for k in keys}:
        ids = [k[0] for k in keys if k[1] == include_retired]
        stmt = (
            select(Region.parent_id, func.count())
            .where(Region.parent_id.in_(ids))
            .group_by(Region.parent_id)
        )
        if not include_retired:
            stmt = stmt.where(Region.retired_edition_id.is_(None))
        for parent_id, count in await fetch_rows(ctx, stmt):
            counts[(parent_id, include_retired)] = int(count)
    return [counts.get(k, 0) for k in keys]


def children_count(ctx: Context) -> DataLoader[tuple[int, bool], int]:
    return loader(ctx, "children_count", _children_counts)


# --- coverage ------------------------------------------------------------------------------

_COVERAGE_CACHE_LIMIT = 20_000


class _CoverageCache:
    """Figures by scope code, valid for one (data version, coverage version) pair."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.key: tuple[Any, ...] | None = None
        self.figures: dict[str, CoverageFigure | None] = {}

    def get(self, key: tuple[Any, ...], codes: list[str]) -> dict[str, CoverageFigure | None]:
        with self.lock:
            if self.key != key:
                return {}
            return {c: self.figures[c] for c in codes if c in self.figures}

    def put(self, key: tuple[Any, ...], found: dict[str, CoverageFigure | None]) -> None:
        with self.lock:
            if self.key != key or len(self.figures) > _COVERAGE_CACHE_LIMIT:
                self.key = key
                self.figures = {}
            self.figures.update(found)

    def clear(self) -> None:
        with self.lock:
            self.key = None
            self.figures = {}


COVERAGE_CACHE = _CoverageCache()


async def _coverage(ctx: Context, codes: list[str]) -> list[CoverageFigure | None]:
    state = await versions(ctx)
    key = state.key
    cached = COVERAGE_CACHE.get(key, codes)
    missing = [c for c in codes if c not in cached]
    if missing:
        fetched: dict[str, CoverageFigure | None] = dict.fromkeys(missing)
        # Villages are read live (their figures are not stored); every other level is stored.
        villages = [c for c in missing if is_village_scope(c)]
        stored = [c for c in missing if not is_village_scope(c)]
        if stored:
            rows = await scalars(
                ctx, select(CoverageFigure).where(CoverageFigure.scope_code.in_(stored))
            )
            fetched.update({f.scope_code: f for f in rows})
        if villages:
            now = utcnow()
            live = await fetch_rows(ctx, VILLAGE_FIGURES.bindparams(codes=villages))
            fetched.update({f.scope_code: f for f in (village_figure(r, now) for r in live)})
        COVERAGE_CACHE.put(key, fetched)
        cached.update(fetched)
    return [cached[c] for c in codes]


def coverage(ctx: Context) -> DataLoader[str, CoverageFigure | None]:
    return loader(ctx, "coverage", _coverage)


# --- cooperatives --------------------------------------------------------------------------


async def _cooperatives_by_id(ctx: Context, ids: list[int]) -> list[Cooperative | None]:
    found = {
        c.id: c for c in await scalars(ctx, select(Cooperative).where(Cooperative.id.in_(ids)))
    }
    return [found.get(i) for i in ids]


def cooperative_by_id(ctx: Context) -> DataLoader[int, Cooperative | None]:
    return loader(ctx, "cooperative_by_id", _cooperatives_by_id)


def _grouped(ids: list[int], pairs: Iterable[tuple[int, V]]) -> list[list[V]]:
    """The values of (key, value) pairs, as one list per id in ``ids`` (a loader's answer)."""
    grouped: dict[int, list[V]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return [grouped.get(i, []) for i in ids]


def _across_links(
    name: str, model: Any, own: Any, theirs: Any, order: Any
) -> Callable[[Context], DataLoader[int, list[Any]]]:
    """A loader of the ``model`` rows each id is linked to in ``cooperative_villages``
    (``own``: the link's column holding the id, ``theirs``: the one naming the row)."""

    async def batch(ctx: Context, ids: list[int]) -> list[list[Any]]:
        rows = await fetch_rows(
            ctx,
            select(own, model).join(model, model.id == theirs).where(own.in_(ids)).order_by(order),
        )
        return _grouped(ids, rows)

    return partial(loader, name=name, batch=batch)


villages_of_cooperative = _across_links(
    "villages_of_cooperative",
    Region,
    CooperativeVillage.cooperative_id,
    CooperativeVillage.village_id,
    Region.code,
)
cooperatives_of_village = _across_links(
    "cooperatives_of_village",
    Cooperative,
    CooperativeVillage.village_id,
    CooperativeVillage.cooperative_id,
    Cooperative.id,
)


def _children_of(
    model: Any, order: Sequence[Any], name: str
) -> Callable[[Context], DataLoader[int, list[Any]]]:
    """A loader of the rows of ``model`` that belong to each cooperative."""

    async def batch(ctx: Context, ids: list[int]) -> list[list[Any]]:
        rows = await scalars(
            ctx, select(model).where(model.cooperative_id.in_(ids)).order_by(*order)
        )
        return _grouped(ids, ((row.cooperative_id, row) for row in rows))

    return partial(loader, name=name, batch=batch)


outlets_of_cooperative = _children_of(Outlet, (Outlet.type, Outlet.id), "outlets")
officers_of_cooperative = _children_of(Officer, (Officer.role, Officer.id), "officers")
stages_of_cooperative = _children_of(
    StageEvent, (StageEvent.reached_on, StageEvent.id), "stage_events"
)
member_counts_of_cooperative = _children_of(MemberCount, (MemberCount.as_of,), "member_counts")
