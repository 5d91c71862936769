"""Relay connections with keyset cursors.

A cursor is the opaque, url-safe encoding of the sort key of the row it points at (never an
offset), so the 800th page costs what the first does: ``WHERE (key, id) > (:key, :id)
ORDER BY key, id LIMIT n + 1``. One extra row tells whether a next page exists.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from api.errors import bad_input
from shared.config import get_settings
from shared.reads import Page

NodeT = TypeVar("NodeT")

DEFAULT_PAGE_SIZE = 50


def encode_cursor(key: Sequence[Any]) -> str:
    raw = json.dumps(list(key), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, arity: int, argument: str = "after") -> list[Any] | None:
    """The sort key in a cursor; a cursor that was not made here is a BAD_USER_INPUT error."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity:
        raise bad_input(f"`{argument}` is not a cursor of this list", argument=argument)
    return key


def page_size(first: int | None, default: int = DEFAULT_PAGE_SIZE) -> int:
    """Validate ``first`` against the configured maximum page size."""
    limit = get_settings().max_page_size
    if first is None:
        return min(default, limit)
    if first < 0:
        raise bad_input("`first` must not be negative", argument="first")
    if first > limit:
        raise bad_input(
            f"`first` is {first} but a page holds at most {limit} items", argument="first"
        )
    return first


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (true when `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item: pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a page with its cursor (Relay).")
class Edge(Generic[NodeT]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: NodeT = strawberry.field(description="The item.")


CountFn = Callable[[], Awaitable[int]]


@strawberry.type(description="A page of a list (Relay connection).")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The items of this page.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")
    count: strawberry.Private[CountFn | None] = None

    @strawberry.field(description="How many items the whole list holds (counted on request).")
    async def total_count(self, info: Info) -> int:
        if self.count is None:
            return len(self.edges)
        return await self.count()


def build_connection(
    rows: Sequence[Any],
    size: int,
    key: Callable[[Any], Sequence[Any]],
    node: Callable[[Any], NodeT],
    *,
    after: str | None,
    count: CountFn | None = None,
) -> Connection[NodeT]:
    """A connection from up to ``size + 1`` rows fetched in order after the cursor ``after``:
    ``key`` gives a row's sort key (its cursor), ``node`` the item; ``count`` counts the whole
    list when a client asks for ``totalCount``."""
    page = Page(list(rows[:size]), len(rows) > size)
    return connection_of(page, key, node, after=after, count=count)


def list_connection(
    items: Sequence[Any],
    first: int | None,
    after: str | None,
    node: Callable[[Any], NodeT],
    *,
    total: int | None = None,
) -> Connection[NodeT]:
    """A connection over a short list held in memory (a job's kept issues, a report's
    decisions): the cursor is a position in the list; ``total`` when the list is a kept part
    of a longer one."""
    size = page_size(first)
    key = decode_cursor(after, 1)
    start = int(key[0]) + 1 if key else 0
    window = list(enumerate(items))[start : start + size + 1]
    counted = len(items) if total is None else total

    async def count() -> int:
        return counted

    return build_connection(
        window, size, lambda pair: (pair[0],), lambda pair: node(pair[1]), after=after, count=count
    )


def connection_of(
    page: Page[Any],
    key: Callable[[Any], Sequence[Any]],
    node: Callable[[Any], NodeT],
    *,
    after: str | None,
    count: CountFn | None = None,
) -> Connection[NodeT]:
    """The connection of a keyset page (``shared.reads.keyset_page``): ``key`` gives a row's
    sort key (its cursor), ``node`` the item; ``count`` counts the whole list when a client
    asks for ``totalCount``."""
    edges = [Edge(cursor=encode_cursor(key(row)), node=node(row)) for row in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


def empty_connection() -> Connection[Any]:
    return Connection(
        edges=[],
        page_info=PageInfo(
            has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
        ),
    )
