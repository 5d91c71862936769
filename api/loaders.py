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
from shared.cooperatives import queries as cooperative_queries
from shared.cooperatives.queries import CooperativeRow
from shared.coverage.service import VILLAGE_FIGURES, is_village_scope, village_figure
from shared.models import (
    CoverageFigure,
    DataState,
    MemberCount,
    Officer,
    Outlet,
    StageEvent,
    utcnow,
)
from shared.reads import Read
from shared.regions import queries as region_queries
from shared.regions.queries import RegionRow

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


async def run(ctx: Context, read: Read[V]) -> V:
    """A read of ``shared.*.queries``, in a session of its own."""
    async with ctx.db.new_async_session() as session:
        return await read.run_async(session)


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
    return count_of(ctx, Read(select(func.count()).select_from(model).where(*conditions), _first))


def count_of(ctx: Context, read: Read[int]) -> Callable[[], Awaitable[int]]:
    """A list's total by ``read``, counted only when a client asks for it."""

    async def count() -> int:
        found: int = await run(ctx, read)
        return found

    return count


def _first(rows: Sequence[Any]) -> int:
    return int(rows[0][0])


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


async def _regions_by_code(ctx: Context, codes: list[str]) -> list[RegionRow | None]:
    found = {r.code: r for r in await run(ctx, region_queries.regions_by_code(codes))}
    return [found.get(c) for c in codes]


def region_by_code(ctx: Context) -> DataLoader[str, RegionRow | None]:
    return loader(ctx, "region_by_code", _regions_by_code)


@dataclass(frozen=True, slots=True)
class ChildrenKey:
    parent_id: int
    first: int
    after: str | None
    include_retired: bool


async def _children(ctx: Context, keys: list[ChildrenKey]) -> list[list[RegionRow]]:
    # Parents asked with the same page arguments share one windowed query.
    groups: dict[tuple[int, str | None, bool], list[int]] = defaultdict(list)
    for key in keys:
        groups[(key.first, key.after, key.include_retired)].append(key.parent_id)
    pages: dict[tuple[int, int, str | None, bool], list[RegionRow]] = {}
    for (first, after, include_retired), parent_ids in groups.items():
        read = region_queries.children_pages(parent_ids, first, after, include_retired)
        by_parent = await run(ctx, read)
        for parent_id in parent_ids:
            pages[(parent_id, first, after, include_retired)] = by_parent.get(parent_id, [])
    return [pages[(k.parent_id, k.first, k.after, k.include_retired)] for k in keys]


def children_page(ctx: Context) -> DataLoader[ChildrenKey, list[RegionRow]]:
    return loader(ctx, "children_page", _children)


async def _children_counts(ctx: Context, keys: list[tuple[int, bool]]) -> list[int]:
    counts: dict[tuple[int, bool], int] = {}
    for include_retired in {k[1] for k in keys}:
        ids = [k[0] for k in keys if k[1] == include_retired]
        found = await run(ctx, region_queries.children_counts(ids, include_retired))
        counts.update({(parent_id, include_retired): n for parent_id, n in found.items()})
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


def scope_of(ctx: Context) -> str | None:
    """The province a scoped key's profile reading is limited to; None: the whole country."""
    return ctx.principal.province_code


async def _cooperatives_by_id(ctx: Context, ids: list[int]) -> list[CooperativeRow | None]:
    rows = await run(ctx, cooperative_queries.cooperatives_by_id(ids, scope_of(ctx)))
    found = {c.id: c for c in rows}
    return [found.get(i) for i in ids]


def cooperative_by_id(ctx: Context) -> DataLoader[int, CooperativeRow | None]:
    return loader(ctx, "cooperative_by_id", _cooperatives_by_id)


def _grouped(ids: list[int], pairs: Iterable[tuple[int, V]]) -> list[list[V]]:
    """The values of (key, value) pairs, as one list per id in ``ids`` (a loader's answer)."""
    grouped: dict[int, list[V]] = defaultdict(list)
    for key, value in pairs:
        grouped[key].append(value)
    return [grouped.get(i, []) for i in ids]


async def _villages_of(ctx: Context, ids: list[int]) -> list[list[RegionRow]]:
    found = await run(ctx, cooperative_queries.villages_of_cooperatives(ids))
    return _grouped(ids, found)


def villages_of_cooperative(ctx: Context) -> DataLoader[int, list[RegionRow]]:
    return loader(ctx, "villages_of_cooperative", _villages_of)


async def _cooperatives_of(ctx: Context, ids: list[int]) -> list[list[CooperativeRow]]:
    found = await run(ctx, cooperative_queries.cooperatives_of_villages(ids, scope_of(ctx)))
    return _grouped(ids, found)


def cooperatives_of_village(ctx: Context) -> DataLoader[int, list[CooperativeRow]]:
    return loader(ctx, "cooperatives_of_village", _cooperatives_of)


def _children_of(
    model: Any, order: Sequence[Any], name: str
) -> Callable[[Context], DataLoader[int, list[Any]]]:
    """A loader of the rows of ``model`` that belong to each cooperative (plain rows)."""

    async def batch(ctx: Context, ids: list[int]) -> list[list[Any]]:
        rows = await run(ctx, cooperative_queries.rows_of_cooperatives(model, ids, order))
        return _grouped(ids, ((row.cooperative_id, row) for row in rows))

    return partial(loader, name=name, batch=batch)


outlets_of_cooperative = _children_of(Outlet, (Outlet.type, Outlet.id), "outlets")
officers_of_cooperative = _children_of(Officer, (Officer.role, Officer.id), "officers")
stages_of_cooperative = _children_of(
    StageEvent, (StageEvent.reached_on, StageEvent.id), "stage_events"
)
member_counts_of_cooperative = _children_of(MemberCount, (MemberCount.as_of,), "member_counts")
