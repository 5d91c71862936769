"""The change feed over GraphQL: ``changes(after:, first:, types:)``, oldest first.

Partners, operations and administrators read it; a partner key sees the events of its
province (and the national ones) exactly as its queries see rows. How the cursor guarantees
that no event is skipped is explained in ``shared/changes/feed.py`` and docs/partners.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.errors import bad_input
from api.guards import settings_of
from api.pagination import Connection, build_connection, decode_cursor, page_size
from api.permissions import IsPartner
from api.schema.common import global_id
from shared.changes import (
    CursorExpired,
    CursorUnknown,
    check_cursor,
    encode_cursor,
    feed_statement,
)
from shared.changes.feed import in_scope, state_statement
from shared.models import ChangeEvent as ChangeEventModel
from shared.models import ChangeType


def _camel(name: str) -> str:
    return re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), name)


@strawberry.type(description="A change that became visible, in the order it did.")
class ChangeEvent:
    cursor: str = strawberry.field(
        description="This event's position: pass it as `after` to read what follows it."
    )
    type: ChangeType = strawberry.field(description="What happened.")
    entity_type: str = strawberry.field(
        description="Cooperative, Proposal, Village, or Coverage (the national figures)."
    )
    entity_id: strawberry.ID = strawberry.field(
        description="The global id of what changed (fetch it with `node`; Coverage has none)."
    )
    entity_key: str = strawberry.field(
        description="Its own key: a cooperative's or proposal's databaseId (an export's `id`),"
        " a village's code, the data version of a coverage recalculation."
    )
    fields: list[str] = strawberry.field(
        description="The fields that changed, as the API names them; empty when the type says"
        " it all."
    )
    at: datetime = strawberry.field(description="When the change committed.")
    data_version: int = strawberry.field(description="The data version the change made.")


def feed_cursor(seq: int) -> str:
    return encode_cursor(seq)


def seq_of(cursor: str | None, argument: str = "after") -> int | None:
    key = decode_cursor(cursor, 1, argument)
    if key is None:
        return None
    if not isinstance(key[0], int) or key[0] < 0:
        raise bad_input(f"`{argument}` is not a cursor of the change feed", argument=argument)
    return key[0]


def to_event(row: ChangeEventModel) -> ChangeEvent:
    return ChangeEvent(
        cursor=feed_cursor(row.seq),
        type=row.type,
        entity_type=row.entity_type,
        entity_id=global_id(row.entity_type, row.entity_key),
        entity_key=row.entity_key,
        fields=[_camel(f) for f in row.fields.split(",") if f],
        at=row.at,
        data_version=row.data_version,
    )


@strawberry.type
class ChangeQuery:
    @strawberry.field(
        description=(
            "Changes in the order they became visible, after a cursor (partners: their"
            " province's and national ones). Start from an export's manifest cursor; a cursor"
            " older than the retention window is refused with CURSOR_EXPIRED (re-export)."
        ),
        permission_classes=[IsPartner],
    )
    async def changes(
        self,
        info: Info[Context, Any],
        after: Annotated[
            str | None,
            strawberry.argument(description="Continue after this event; null: the oldest kept."),
        ] = None,
        first: int | None = None,
        types: Annotated[
            list[ChangeType] | None,
            strawberry.argument(description="Only these kinds of change (the cursor still moves)."),
        ] = None,
    ) -> Connection[ChangeEvent] | None:
        size = page_size(first)
        seq = seq_of(after)
        ctx = info.context
        scope = ctx.principal.province_code  # a partner key's province; None: everything
        # Every event up to ``head`` had committed before the events are read.
        head, _pruned = (await loaders.fetch_rows(ctx, state_statement()))[0]
        rows = await loaders.scalars(
            ctx, feed_statement(after=seq, first=size, types=types, scope=scope)
        )
        # The state after the events: a retention run that deleted some of them shows here.
        newest, pruned = (await loaders.fetch_rows(ctx, state_statement()))[0]
        try:
            check_cursor(seq, newest, pruned, settings_of(ctx).change_retention_days)
        except CursorExpired as exc:
            raise GraphQLError(
                exc.message, extensions={"code": "CURSOR_EXPIRED", "argument": "after"}
            ) from None
        except CursorUnknown as exc:
            raise bad_input(exc.message, argument="after") from None
        conditions = [c for c in (in_scope(scope),) if c is not None]
        if types:
            conditions.append(ChangeEventModel.type.in_(list(types)))
        if seq is not None:
            conditions.append(ChangeEventModel.seq > seq)
        count = loaders.counter(ctx, ChangeEventModel, conditions)
        # Same encoding as ``encode_cursor`` (an export manifest's cursor continues here).
        page = build_connection(rows, size, lambda r: (r.seq,), to_event, after=after, count=count)
        reached = rows[-1].seq if rows else (seq or 0)
        if not page.page_info.has_next_page and int(head) > reached:
            # Nothing more for this caller up to ``head``: the cursor moves past the events it
            # does not see (other provinces, other types), so it never falls behind the
            # retention window while the caller is quiet.
            page.page_info.end_cursor = feed_cursor(int(head))
        return page

    @strawberry.field(
        description="The cursor of the newest change now: read `changes(after:)` from it to see"
        " only what happens from here on (partners).",
        permission_classes=[IsPartner],
    )
    async def changes_cursor(self, info: Info[Context, Any]) -> str | None:
        newest, _pruned = (await loaders.fetch_rows(info.context, state_statement()))[0]
        return feed_cursor(int(newest))


__all__ = ["ChangeEvent", "ChangeQuery", "feed_cursor", "seq_of"]
