"""Reading the audit log: filters and keyset pagination, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from shared.models import AuditEntry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every given condition must hold. ``operation`` ending in ``.*`` matches a family."""

    operation: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    api_key_id: int | None = None
    actor: str | None = None
    request_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class AuditPage:
    entries: list[AuditEntry]
    has_next_page: bool


# The filters that hold when the entry's column of the same name equals their value.
_EQUAL = ("target_type", "target_id", "api_key_id", "actor", "request_id")


def _filtered(query: Select[Any], f: AuditFilter) -> Select[Any]:
    if f.operation is not None:
        if f.operation.endswith(".*"):
            family = f.operation[:-1]
            escaped = family.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(AuditEntry.operation.like(f"{escaped}%", escape="\\"))
        else:
            query = query.where(AuditEntry.operation == f.operation)
    for name in _EQUAL:
        value = getattr(f, name)
        if value is not None:
            query = query.where(getattr(AuditEntry, name) == value)
    if f.since is not None:
        query = query.where(AuditEntry.at >= f.since)
    if f.until is not None:
        query = query.where(AuditEntry.at < f.until)
    return query


def audit_page(
    session: Session, f: AuditFilter, *, first: int, before_id: int | None = None
) -> AuditPage:
    """Up to ``first`` entries with ids below ``before_id``, newest (highest id) first.

    Ids grow with time, so ordering by id is ordering by insertion and gives a stable keyset
    cursor even when entries share a timestamp.
    """
    query = _filtered(select(AuditEntry), f)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    rows: list[AuditEntry] = list(
        session.scalars(query.order_by(AuditEntry.id.desc()).limit(first + 1))
    )
    return AuditPage(entries=rows[:first], has_next_page=len(rows) > first)
