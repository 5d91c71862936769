"""Reading the change feed over HTTP, the way a partner's client does."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from tests.support import gql

FEED = """query($after: String, $first: Int, $types: [ChangeType!]) {
  changes(after: $after, first: $first, types: $types) {
    totalCount
    edges { cursor node { type entityType entityId fields dataVersion at } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def seq(cursor: str) -> int:
    """The sequence number inside a feed cursor (tests only: clients treat it as opaque)."""
    raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return int(raw[0])


async def read_feed(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    after: str | None = None,
    *,
    first: int = 100,
    types: list[str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Every event after ``after``, page by page; returns (edges, the cursor to go on from)."""
    edges: list[dict[str, Any]] = []
    cursor = after
    while True:
        body = await gql(
            client, FEED, {"after": cursor, "first": first, "types": types}, headers=headers
        )
        page = body["data"]["changes"]
        edges.extend(page["edges"])
        cursor = page["pageInfo"]["endCursor"] or cursor
        if not page["pageInfo"]["hasNextPage"]:
            return edges, cursor


def kinds(edges: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["node"]["type"], e["node"]["entityId"]) for e in edges]
