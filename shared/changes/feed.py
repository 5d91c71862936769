"""Change events: numbered gap-free in commit order, read by cursor, kept for a window.

Why a reader never skips an event: an event's number (``seq``) is drawn from
``data_state.change_seq`` by an UPDATE of that single row, and the row lock that UPDATE takes
is held until the writer's transaction ends. A second writer's UPDATE waits for the first
one's commit (or rollback), so numbers are handed out in commit order, and a number is only
visible once every smaller one is committed (a rolled-back writer's numbers are never used:
the UPDATE that drew them rolls back too). A reader that has seen everything up to N and asks
for ``seq > N`` therefore receives exactly the changes committed since, in order. The writers
of data already serialize on this row (the data-version bump, ``shared.data_version``), so
the feed adds no new wait; on SQLite writers are serialized by the database anyway.

Bulk writers (imports) add their events in one statement: ``emit_select`` (INSERT ... SELECT,
numbered with ``row_number()``) or ``emit`` with many events (COPY on PostgreSQL).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Select,
    and_,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from shared.bulk import insert_dicts, table_of
from shared.errors import InvalidInput
from shared.models import (
    ChangeEvent,
    ChangeType,
    CooperativeVillage,
    DataState,
    utcnow,
)


class CursorExpired(InvalidInput):
    """The cursor points before the retention window: events after it were deleted."""

    def __init__(self, after: int, pruned_through: int, retention_days: int) -> None:
        super().__init__(
            "after",
            f"this cursor is older than the change feed keeps (events are kept {retention_days}"
            f" days; everything up to event {pruned_through} was deleted, and the cursor is at"
            f" {after}): start again from a fresh export and continue from its manifest's cursor",
        )


class CursorUnknown(InvalidInput):
    """The cursor is past the newest event: it was not made by this feed."""

    def __init__(self, after: int, newest: int) -> None:
        super().__init__(
            "after", f"this cursor ({after}) is past the newest event ({newest}) of this feed"
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One event to add: what happened to which entity, seen by which provinces' scopes."""

    type: ChangeType
    entity_type: str  # the API's type name: Cooperative, Proposal, Village, Coverage
    entity_key: str | int
    provinces: Sequence[str] = ()  # none: a national event every feed reader sees
    fields: Sequence[str] = ()


def encode_cursor(seq: int) -> str:
    """The opaque cursor of the event numbered ``seq`` (the API's cursor format: a url-safe
    base64 of a JSON list), e.g. in an export's manifest."""
    raw = json.dumps([seq], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _reserve(session: Session, count: int) -> tuple[int, int]:
    """Take the feed's row lock (held to commit) and ``count`` numbers: (first - 1, version)."""
    seq, version = session.execute(
        update(DataState)
        .where(DataState.id == 1)
        .values(change_seq=DataState.change_seq + count)
        .returning(DataState.change_seq, DataState.data_version)
    ).one()
    return int(seq) - count, int(version)


def _provinces(codes: Sequence[str]) -> tuple[str | None, str | None]:
    found = sorted({c[:2] for c in codes if c})
    return (found[0] if found else None, found[-1] if len(found) > 1 else None)


def emit(session: Session, changes: Iterable[Change]) -> int:
    """Add events in the caller's transaction, numbered in the given order; returns how many.

    Call it after the change's data-version bump, so the events carry the new version.
    """
    items = list(changes)
    if not items:
        return 0
    base, version = _reserve(session, len(items))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for i, change in enumerate(items, start=1):
        province, other = _provinces(change.provinces)
        rows.append(
            {
                "seq": base + i,
                "type": change.type,
                "entity_type": change.entity_type,
                "entity_key": str(change.entity_key),
                "province_code": province,
                "other_province_code": other,
                "fields": ",".join(change.fields),
                "data_version": version,
                "at": now,
            }
        )
    insert_dicts(session, table_of(ChangeEvent), rows)
    return len(rows)


# The columns an ``emit_select`` query yields, in this order.
SELECT_COLUMNS = (
    "type",
    "entity_type",
    "entity_key",
    "province_code",
    "other_province_code",
    "fields",
)


def emit_select(session: Session, query: Select[Any], order_by: Sequence[Any]) -> int:
    """Add one event per row of ``query`` (its columns: ``SELECT_COLUMNS``), numbered in
    ``order_by`` order, with one INSERT ... SELECT; returns how many."""
    base, version = _reserve(session, 0)
    numbered = query.add_columns(
        (literal(base) + func.row_number().over(order_by=order_by)).label("seq"),
        literal(version).label("data_version"),
        literal(utcnow(), ChangeEvent.__table__.c.at.type).label("at"),
    )
    session.execute(
        insert(ChangeEvent).from_select(
            [*SELECT_COLUMNS, "seq", "data_version", "at"], numbered.subquery().select()
        )
    )
    # Counted, not taken from the driver's rowcount (psycopg may say -1 for INSERT ... SELECT);
    # the lock is held, so every event above ``base`` is this statement's.
    count = int(session.execute(select(func.count()).where(ChangeEvent.seq > base)).scalar_one())
    if count:
        _reserve(session, count)
    return count


def cooperative_provinces(session: Session, cooperative_id: int) -> list[str]:
    """The provinces of the villages a cooperative covers now."""
    return list(
        session.execute(
            select(CooperativeVillage.province_code)
            .distinct()
            .where(CooperativeVillage.cooperative_id == cooperative_id)
        ).scalars()
    )


def in_scope(province_code: str | None) -> Any:
    """Events a caller scoped to ``province_code`` may see (national events included)."""
    if province_code is None:
        return None
    return or_(
        ChangeEvent.province_code == province_code,
        ChangeEvent.other_province_code == province_code,
        and_(ChangeEvent.province_code.is_(None), ChangeEvent.other_province_code.is_(None)),
    )


def feed_statement(
    *,
    after: int | None,
    first: int,
    types: Collection[ChangeType] | None = None,
    scope: str | None = None,
) -> Select[ChangeEvent]:
    """Up to ``first + 1`` events after the cursor, oldest first (the extra one tells whether
    a next page exists)."""
    stmt = select(ChangeEvent)
    if after is not None:
        stmt = stmt.where(ChangeEvent.seq > after)
    if types:
        stmt = stmt.where(ChangeEvent.type.in_(list(types)))
    scoped = in_scope(scope)
    if scoped is not None:
        stmt = stmt.where(scoped)
    return stmt.order_by(ChangeEvent.seq).limit(first + 1)


def state_statement() -> Select[int, int]:
    return select(DataState.change_seq, DataState.changes_pruned_through).where(DataState.id == 1)


def check_cursor(after: int | None, newest: int, pruned_through: int, retention_days: int) -> None:
    """Refuse a cursor whose events were deleted, or one this feed never made.

    Read the state *after* the events: a prune that commits in between then shows here.
    """
    if after is None:
        return
    if after < pruned_through:
        raise CursorExpired(after, pruned_through, retention_days)
    if after > newest:
        raise CursorUnknown(after, newest)


def head(session: Session) -> int:
    """The newest event's number: a cursor from which the feed continues after 'now'."""
    return int(session.execute(select(DataState.change_seq).where(DataState.id == 1)).scalar_one())


def prune(session: Session, retention: timedelta, now: datetime | None = None) -> int:
    """Delete events older than the window; returns how many. Cursors before the newest
    deleted event are refused from then on (``CursorExpired``)."""
    cutoff = (now or utcnow()) - retention
    through: int | None = session.execute(
        select(func.max(ChangeEvent.seq)).where(ChangeEvent.at < cutoff)
    ).scalar()
    if through is None:
        return 0
    deleted = cast(
        CursorResult[Any], session.execute(delete(ChangeEvent).where(ChangeEvent.seq <= through))
    ).rowcount
    session.execute(
        update(DataState)
        .where(DataState.id == 1, DataState.changes_pruned_through < through)
        .values(changes_pruned_through=through)
    )
    return int(deleted or 0)
