"""Cooperatives to read: one by id or registry id, and the filtered, ordered list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.pagination import Connection, connection_of, decode_cursor, page_size
from api.schema.common import int_id, selects
from api.schema.cooperatives.types import Cooperative, to_cooperative
from shared.cooperatives import queries
from shared.cooperatives.queries import CooperativeFilter as FilterSpec
from shared.cooperatives.queries import CooperativeRow
from shared.copying import fields_from
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


async def cooperative_by_id(info: Info[Context, Any], cooperative_id: int) -> Cooperative | None:
    """A cooperative through the request's loader (one statement for all asked together)."""
    row = await loaders.cooperative_by_id(info.context).load(cooperative_id)
    return to_cooperative(row) if row else None


async def one_cooperative(info: Info[Context, Any], cooperative_id: int) -> Cooperative | None:
    """A cooperative a root field asks for alone: with its villages in the same statement when
    the client selects them (the loader would take a second round trip)."""
    if not selects(info, "villages"):
        return await cooperative_by_id(info, cooperative_id)
    ctx = info.context
    read = queries.cooperatives_by_id([cooperative_id], loaders.scope_of(ctx), villages=True)
    rows = await loaders.run(ctx, read)
    return to_cooperative(rows[0]) if rows else None


@strawberry.type
class CooperativeQuery:
    @strawberry.field(
        description=(
            "One cooperative by global id (or numeric id); null when it does not exist."
            " A partner key's province scope opens the protected profile inside it; outside"
            " it the key reads what anyone may read."
        )
    )
    async def cooperative(self, info: Info[Context, Any], id: strawberry.ID) -> Cooperative | None:
        return await one_cooperative(info, int_id(id, "Cooperative"))

    @strawberry.field(description="One cooperative by its national registry id, or null.")
    async def cooperative_by_registry_id(
        self, info: Info[Context, Any], registry_id: str
    ) -> Cooperative | None:
        ctx = info.context
        read = queries.cooperative_by_registry_id(registry_id.strip(), loaders.scope_of(ctx))
        row = await loaders.run(ctx, read)
        return to_cooperative(row) if row else None

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
        order = order_by.value
        key = decode_cursor(after, len(queries.ORDERS[order]))
        if key is not None:
            key[-1] = int(key[-1])
            if order_by is CooperativeOrder.UPDATED_AT:
                key[0] = datetime.fromisoformat(str(key[0]))
        spec = (filter or CooperativeFilter()).spec()
        ctx = info.context
        read = queries.cooperative_page(
            spec,
            order=order,
            after=key,
            size=size,
            scope=loaders.scope_of(ctx),
            villages=selects(info, "edges", "node", "villages"),
        )
        page = await loaders.run(ctx, read)
        count = loaders.count_of(ctx, queries.cooperative_count(spec))
        return connection_of(page, _CURSORS[order_by], to_cooperative, after=after, count=count)


_CURSORS: dict[CooperativeOrder, Callable[[CooperativeRow], tuple[Any, ...]]] = {
    CooperativeOrder.ID: lambda r: (r.id,),
    CooperativeOrder.NAME: lambda r: (r.name, r.id),
    CooperativeOrder.UPDATED_AT: lambda r: (r.updated_at.isoformat(), r.id),
}
