"""Writing the audit log: an entry per change, in the same transaction as the change."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from shared.models import AuditEntry


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks for a change: an API key, the CLI, or the system itself."""

    name: str
    api_key_id: int | None = None
    request_id: str | None = None


SYSTEM = Actor(name="system")


def record(
    session: Session,
    actor: Actor,
    operation: str,
    *,
    target_type: str | None = None,
    target_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the caller's transaction (it commits or rolls back with the change)."""
    entry = AuditEntry(
        api_key_id=actor.api_key_id,
        actor=actor.name,
        operation=operation,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        request_id=actor.request_id,
    )
    session.add(entry)
    return entry
