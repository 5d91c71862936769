"""Read-side SQL for cooperatives: filters, scope, the rows the API answers with.

The API and the CLI build lists from these clauses so that "in region 64.72" or "ready for
financing" means the same everywhere. Rows are :class:`CooperativeRow`, plain values (see
``shared.reads``).

A partner key's province scope adds, never hides: every caller sees the same cooperatives
(the directory is public), and each row says whether the caller's scope includes it
(``in_scope``), which is what opens its protected profile. That is decided here, once, in the
statement that reads the rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Row,
    Select,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from shared.cooperatives.financing import financing_ready_clause
from shared.models import (
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    Outlet,
    OutletType,
    Region,
    Scheme,
    Stage,
)
from shared.reads import Page, Read, keyset_page, read_rows, read_scalar
from shared.regions.queries import REGION_COLUMNS, RegionRow, like_pattern, region_row


class _IdAmong(ColumnElement[bool]):
    """``column`` among the ids a subquery returns, evaluated once before the outer query.

    On PostgreSQL ``= ANY(ARRAY(subquery))``: as a correlated EXISTS (or IN) the planner walks
    the whole primary key in order hoping to fill a LIMIT early, and a province's 1,000
    cooperatives at the end of the id range cost 200-400 ms; with the ids computed first, the
    page is an index lookup (about 25 ms for province 64). Elsewhere, plain IN.
    """

    # Its column and subquery are its state: in the cache key, so that the statement's
    # compiled form is cached (without them SQLAlchemy compiles every such statement anew).
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]
    inherit_cache = True
    type = Boolean()

    def __init__(self, column: Any, ids: Select[Any]) -> None:
        self.column = column
        self.ids = ids


@compiles(_IdAmong)
def _id_among_default(element: _IdAmong, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(_IdAmong, "postgresql")
def _id_among_postgresql(element: _IdAmong, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    ids = compiler.process(element.ids, asfrom=False, **kw)
    return f"{column} = ANY(ARRAY({ids}))"


def links_in_region(code: str) -> ColumnElement[bool]:
    """Links (``cooperative_villages``) to villages inside the region with this code: one range
    of the link's (code, cooperative_id) indexes, no join to ``regions``."""
    match len(code):
        case 2:
            return CooperativeVillage.province_code == code
        case 5:
            return CooperativeVillage.regency_code == code
        case 8:
            return CooperativeVillage.district_code == code
        case _:
            village = select(Region.id).where(Region.code == code).scalar_subquery()
            return CooperativeVillage.village_id == village


def in_region(code: str) -> ColumnElement[bool]:
    """The cooperative covers at least one village inside the region (a merger counts once)."""
    return _IdAmong(
        Cooperative.id,
        select(CooperativeVillage.cooperative_id).where(links_in_region(code)),
    )


def in_province_scope(province_code: str | None) -> ColumnElement[bool] | None:
    """Only cooperatives of the province (a partner's export: no row outside its scope);
    None means no restriction. Queries do not filter by scope (see ``CooperativeRow.in_scope``)."""
    return None if province_code is None else in_region(province_code)


@dataclass(frozen=True, slots=True)
class CooperativeFilter:
    region_code: str | None = None
    stage: Stage | None = None
    scheme: Scheme | None = None
    kind: CooperativeKind | None = None
    is_mockup: bool | None = None
    outlet_type: OutletType | None = None
    financing_ready: bool | None = None
    search: str | None = None


def cooperative_conditions(
    f: CooperativeFilter, scope: str | None = None
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.region_code:
        conditions.append(in_region(f.region_code))
    if f.stage is not None:
        conditions.append(Cooperative.stage == f.stage)
    if f.scheme is not None:
        conditions.append(Cooperative.scheme == f.scheme)
    if f.kind is not None:
        conditions.append(Cooperative.kind == f.kind)
    if f.is_mockup is not None:
        conditions.append(Cooperative.is_mockup.is_(f.is_mockup))
    if f.outlet_type is not None:
        conditions.append(
            exists(
                select(Outlet.id).where(
                    Outlet.cooperative_id == Cooperative.id, Outlet.type == f.outlet_type
                )
            )
        )
    if f.financing_ready is not None:
        conditions.append(financing_ready_clause(f.financing_ready))
    if f.search and f.search.strip():
        pattern = like_pattern(f.search)
        conditions.append(
            or_(
                func.lower(Cooperative.name).like(pattern, escape="\\"),
                Cooperative.registry_id == f.search.strip(),
            )
        )
    scoped = in_province_scope(scope)
    if scoped is not None:
        conditions.append(scoped)
    return conditions


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CooperativeRow:
    """A cooperative as the read side answers it: the directory, the profile's columns, and
    whether the caller's scope includes it (``in_scope``)."""

    id: int
    registry_id: str | None
    name: str
    kind: CooperativeKind
    scheme: Scheme
    stage: Stage
    is_mockup: bool
    version: int
    updated_at: datetime
    member_count: int | None
    sk_ahu_number: str | None
    sk_ahu_date: date | None
    akta_number: str | None
    akta_date: date | None
    notary_name: str | None
    nik_koperasi: str | None
    nib: str | None
    npwp: str | None
    bank_name: str | None
    bank_account_number: str | None
    business_proposal_approved_on: date | None
    in_scope: bool
    # Its villages by code, when the read joined them (``villages=True``); None otherwise.
    villages: tuple[RegionRow, ...] | None = None


COOPERATIVE_COLUMNS = tuple(
    getattr(Cooperative, name)
    for name in CooperativeRow.__dataclass_fields__
    if name not in ("in_scope", "villages")
)


def row_of(cooperative: Cooperative) -> CooperativeRow:
    """The row of a cooperative a write just made or changed (its writers have no scope)."""
    return _row(*(getattr(cooperative, c.key) for c in COOPERATIVE_COLUMNS), True)


def _scope_column(scope: str | BindParameter[str] | None) -> ColumnElement[bool] | None:
    """Whether a cooperative covers a village of the scope's province (None: no scope, every
    row is in it): the primary key of its links, then their province code."""
    if scope is None:
        return None
    link = aliased(CooperativeVillage)  # the statement may read links itself
    return exists(
        select(link.village_id)
        .where(link.cooperative_id == Cooperative.id, link.province_code == scope)
        .correlate(Cooperative)
    )


def _with_scope(
    columns: Sequence[Any], scope: str | BindParameter[str] | None
) -> tuple[list[Any], Any]:
    """The columns to select for rows seen with ``scope``, and what makes a row of them."""
    flag = _scope_column(scope)
    if flag is None:
        return list(columns), _in_scope_row
    return [*columns, flag], _scoped_row


# The rows' constructor, for positional columns (a dataclass's own signature is too exact).
_row: Callable[..., CooperativeRow] = CooperativeRow


def _in_scope_row(*columns: Any, villages: Any = None) -> CooperativeRow:
    return _row(*columns, True, villages)


def _scoped_row(*columns: Any, villages: Any = None) -> CooperativeRow:
    return _row(*columns[:-1], bool(columns[-1]), villages)


def cooperatives_by_id(
    ids: Sequence[int], scope: str | None, *, villages: bool = False
) -> Read[list[CooperativeRow]]:
    """The cooperatives with these ids (by id), with their villages if asked (one statement)."""
    read = _by_id(scope is not None, villages)
    return read.given(ids=list(ids), scope=scope)


@lru_cache(maxsize=4)
def _by_id(scoped: bool, villages: bool) -> Read[list[CooperativeRow]]:
    """The read of cooperatives by id, built once per shape (the hottest read of the API):
    the ids and the scope are bind parameters."""
    columns, row = _with_scope(COOPERATIVE_COLUMNS, bindparam("scope") if scoped else None)
    ids: BindParameter[int] = bindparam("ids", expanding=True)
    statement = select(*columns).where(Cooperative.id.in_(ids)).order_by(Cooperative.id)
    if villages:
        return _joined_villages(statement, row, (Cooperative.id,))
    return read_rows(statement, row)


def _joined_villages(
    statement: Select[Any], row: Callable[..., CooperativeRow], key: Sequence[Any]
) -> Read[list[CooperativeRow]]:
    """The cooperatives ``statement`` reads (ordered by the columns ``key``, LIMIT and all),
    each with its villages by code, in one statement: the villages are joined onto it as a
    subquery, one row per (cooperative, village), folded back here."""
    inner = statement.subquery("page")
    order = [inner.c[column.key] for column in key]
    width = len(inner.c)
    joined = (
        select(inner, *REGION_COLUMNS)
        .outerjoin(CooperativeVillage, CooperativeVillage.cooperative_id == inner.c.id)
        .outerjoin(Region, Region.id == CooperativeVillage.village_id)
        .order_by(*order, Region.code)
    )

    def answer(rows: Sequence[Row[Any]]) -> list[CooperativeRow]:
        folded: dict[Any, tuple[Row[Any], list[RegionRow]]] = {}
        for r in rows:
            entry = folded.get(r[0])
            if entry is None:
                entry = folded[r[0]] = (r, [])
            if r[width] is not None:
                entry[1].append(region_row(*r[width:]))
        return [row(*r[:width], villages=tuple(found)) for r, found in folded.values()]

    return Read(joined, answer)


def cooperative_by_registry_id(registry_id: str, scope: str | None) -> Read[CooperativeRow | None]:
    columns, row = _with_scope(COOPERATIVE_COLUMNS, scope)
    statement = select(*columns).where(Cooperative.registry_id == registry_id)
    return read_rows(statement, row).then(lambda rows: rows[0] if rows else None)


# Orders of the list: the key columns, the id last so that the key is unique.
ORDERS: dict[str, tuple[Any, ...]] = {
    "id": (Cooperative.id,),
    "name": (Cooperative.name, Cooperative.id),
    "updated_at": (Cooperative.updated_at, Cooperative.id),
}


def cooperative_page(
    f: CooperativeFilter,
    *,
    order: str,
    after: Sequence[Any] | None,
    size: int,
    scope: str | None,
    villages: bool = False,
) -> Read[Page[CooperativeRow]]:
    """One page of the cooperatives the filter keeps, in ``order`` (an ``ORDERS`` key), after
    the key values ``after``; with their villages if asked, in the same statement."""
    inside = scope is not None and f.region_code is not None and f.region_code.startswith(scope)
    columns, row = _with_scope(COOPERATIVE_COLUMNS, None if inside else scope)
    statement = select(*columns).where(*cooperative_conditions(f))
    around = partial(_joined_villages, row=row, key=ORDERS[order]) if villages else None
    return keyset_page(statement, ORDERS[order], after, size, row, around=around)


def cooperative_count(f: CooperativeFilter) -> Read[int]:
    """How many cooperatives the filter keeps. A filter on a region alone is counted on the
    links' index of that region's codes (index only, a merger once), not on the table."""
    region = f.region_code
    if region and f == CooperativeFilter(region_code=region) and len(region) <= 8:
        statement = select(func.count(CooperativeVillage.cooperative_id.distinct())).where(
            links_in_region(region)
        )
    else:
        statement = select(func.count()).select_from(Cooperative).where(*cooperative_conditions(f))
    return read_scalar(statement).then(int)


def cooperatives_of_villages(
    village_ids: Sequence[int], scope: str | None
) -> Read[list[tuple[int, CooperativeRow]]]:
    """(village id, cooperative) for the cooperatives covering each village, by id."""
    columns, row = _with_scope(COOPERATIVE_COLUMNS, scope)
    statement = (
        select(CooperativeVillage.village_id, *columns)
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .where(CooperativeVillage.village_id.in_(village_ids))
        .order_by(Cooperative.id)
    )
    return Read(statement, lambda rows: [(r[0], row(*r[1:])) for r in rows])


def villages_of_cooperatives(ids: Sequence[int]) -> Read[list[tuple[int, RegionRow]]]:
    """(cooperative id, village) for the villages each cooperative covers, by code."""
    statement = (
        select(CooperativeVillage.cooperative_id, *REGION_COLUMNS)
        .join(Region, Region.id == CooperativeVillage.village_id)
        .where(CooperativeVillage.cooperative_id.in_(ids))
        .order_by(Region.code)
    )
    return Read(statement, lambda rows: [(r[0], region_row(*r[1:])) for r in rows])


def rows_of_cooperatives(
    model: Any, ids: Sequence[int], order: Sequence[Any]
) -> Read[list[Row[Any]]]:
    """The rows of a table belonging to cooperatives (outlets, officers, stage events, member
    counts), as plain rows with the table's column names, in ``order``."""
    statement = select(*model.__table__.columns).where(model.cooperative_id.in_(ids))
    return Read(statement.order_by(*order), list)
