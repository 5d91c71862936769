"""Cooperatives to read: one by id or registry id, and the filtered, ordered list."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select, tuple_
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.pagination import Connection, build_connection, decode_cursor, page_size
from api.schema.common import int_id
from api.schema.cooperatives.types import Cooperative, scope_of, to_cooperative
from shared.cooperatives.queries import CooperativeFilter as FilterSpec
from shared.cooperatives.queries import cooperative_conditions, in_province_scope
from shared.copying import fields_from
from shared.models import Cooperative as CooperativeModel
from shared.models import CooperativeKind, OutletType, Scheme, Stage


@strawberry.input(description="Which cooperatives to list; every given condition must hold.")
class CooperativeFilter:
    region_code: str | None = strawberry.field(
        default=None, description='Inside this region, at any level: "64", "64.72", a village.'
    )
    stage: Stage | None = strawberry.field(default=None, description="At this stage.")
    scheme: Scheme | None = strawberry.field(default=None, description="Formed this way.")
    kind: CooperativeKind | None = strawberry.field(default=None, description="KDMP or KKMP.")
    is_mockup: bool | None = strawberry.field(default=None, description="Model cooperatives.")
    outlet_type: OutletType | None = strawberry.field(
        default=None, description="Having an outlet of this type."
    )
    financing_ready: bool | None = strawberry.field(
        default=None, description="Meeting (true) or not meeting (false) the financing criteria."
    )
    search: str | None = strawberry.field(
        default=None, description="Part of the name (case-insensitive), or a registry id."
    )

    def spec(self) -> FilterSpec:
        return fields_from(FilterSpec, self, region_code=(self.region_code or "").strip() or None)


@strawberry.enum(description="Orders of the cooperative list (ties broken by id).")
class CooperativeOrder(Enum):
    ID = "id"
    NAME = "name"
    UPDATED_AT = "updated_at"


ORDER_COLUMNS = {
    CooperativeOrder.ID: None,
    CooperativeOrder.NAME: CooperativeModel.name,
    CooperativeOrder.UPDATED_AT: CooperativeModel.updated_at,
}


async def _one(info: Info[Context, Any], *conditions: Any) -> Cooperative | None:
    scoped = in_province_scope(scope_of(info))
    stmt = select(CooperativeModel).where(*conditions)
    if scoped is not None:
        stmt = stmt.where(scoped)
    rows = await loaders.scalars(info.context, stmt)
    return to_cooperative(rows[0]) if rows else None


async def cooperative_by_id(info: Info[Context, Any], cooperative_id: int) -> Cooperative | None:
    return await _one(info, CooperativeModel.id == cooperative_id)


@strawberry.type
class CooperativeQuery:
    @strawberry.field(
        description=(
            "One cooperative by global id (or numeric id); null when it does not exist or"
            " lies outside the key's province scope."
        )
    )
    async def cooperative(self, info: Info[Context, Any], id: strawberry.ID) -> Cooperative | None:
        return await cooperative_by_id(info, int_id(id, "Cooperative"))

    @strawberry.field(description="One cooperative by its national registry id, or null.")
    async def cooperative_by_registry_id(
        self, info: Info[Context, Any], registry_id: str
    ) -> Cooperative | None:
        return await _one(info, CooperativeModel.registry_id == registry_id.strip())

    @strawberry.field(description="Cooperatives matching a filter, in pages (keyset cursors).")
    async def cooperatives(
        self,
        info: Info[Context, Any],
        filter: CooperativeFilter | None = None,
        order_by: CooperativeOrder = CooperativeOrder.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Cooperative]:
        size = page_size(first)
        column = ORDER_COLUMNS[order_by]
        key = decode_cursor(after, 1 if column is None else 2)
        conditions = cooperative_conditions(
            (filter or CooperativeFilter()).spec(), scope=scope_of(info)
        )
        stmt = select(CooperativeModel).where(*conditions)
        if column is None:
            if key:
                stmt = stmt.where(CooperativeModel.id > int(key[0]))
            stmt = stmt.order_by(CooperativeModel.id)
        else:
            if key:
                value: Any = key[0]
                if column is CooperativeModel.updated_at:
                    value = datetime.fromisoformat(str(value))
                # Row-value comparison: one index range scan on both databases.
                stmt = stmt.where(tuple_(column, CooperativeModel.id) > tuple_(value, int(key[1])))
            stmt = stmt.order_by(column, CooperativeModel.id)
        rows = await loaders.scalars(info.context, stmt.limit(size + 1))

        def cursor_key(r: CooperativeModel) -> tuple[Any, ...]:
            if column is None:
                return (r.id,)
            value = getattr(r, column.key)
            return (value.isoformat() if isinstance(value, datetime) else value, r.id)

        count = loaders.counter(info.context, CooperativeModel, conditions)
        return build_connection(rows, size, cursor_key, to_cooperative, after=after, count=count)
