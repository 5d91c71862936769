"""The change feed: every change a partner syncs from, numbered in commit order.

``emit`` adds events in the caller's transaction (they commit or roll back with the change);
``read`` and ``FeedQuery`` page through them for the API; ``prune`` applies the retention.
"""

from shared.changes.feed import (
    Change,
    CursorExpired,
    CursorUnknown,
    check_cursor,
    cooperative_provinces,
    emit,
    emit_select,
    encode_cursor,
    feed_statement,
    head,
    prune,
)

__all__ = [
    "Change",
    "CursorExpired",
    "CursorUnknown",
    "check_cursor",
    "cooperative_provinces",
    "emit",
    "emit_select",
    "encode_cursor",
    "feed_statement",
    "head",
    "prune",
]
