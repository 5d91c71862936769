"""A cooperative's officers: the board (pengurus) and supervisors (pengawas), with terms.

Operations staff record the whole list at once (the registry import does the same from its
``officers`` column): what is recorded replaces what was there. Like every service here, it
takes the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.audit import Actor, record
from shared.cooperatives.service import announce, check_version, get_cooperative
from shared.coverage.schedule import note_change
from shared.errors import InvalidInput
from shared.models import ChangeType, Cooperative, Officer, OfficerRole, utcnow


@dataclass(frozen=True, slots=True)
class OfficerEntry:
    role: OfficerRole
    name: str
    term_start: date | None = None
    term_end: date | None = None


def _json(entry: OfficerEntry) -> dict[str, Any]:
    return {
        "role": entry.role.value,
        "name": entry.name,
        "term_start": entry.term_start.isoformat() if entry.term_start else None,
        "term_end": entry.term_end.isoformat() if entry.term_end else None,
    }


def _cleaned(officers: Sequence[OfficerEntry]) -> list[OfficerEntry]:
    cleaned: list[OfficerEntry] = []
    seen: set[OfficerEntry] = set()
    for i, entry in enumerate(officers):
        name = " ".join((entry.name or "").split())
        if not name:
            raise InvalidInput(f"officers[{i}].name", "must not be empty")
        if len(name) > 200:
            raise InvalidInput(f"officers[{i}].name", "must be at most 200 characters")
        start, end = entry.term_start, entry.term_end
        if start is not None and end is not None and end < start:
            raise InvalidInput(
                f"officers[{i}].term_end", f"the term ends ({end}) before it starts ({start})"
            )
        officer = OfficerEntry(OfficerRole(entry.role), name, start, end)
        if officer in seen:
            raise InvalidInput(f"officers[{i}]", "this officer is listed twice")
        seen.add(officer)
        cleaned.append(officer)
    return cleaned


def stored_officers(session: Session, cooperative_id: int) -> list[OfficerEntry]:
    rows = session.execute(
        select(Officer.role, Officer.name, Officer.term_start, Officer.term_end)
        .where(Officer.cooperative_id == cooperative_id)
        .order_by(Officer.id)
    ).all()
    return [OfficerEntry(*row) for row in rows]


def record_officers(
    session: Session,
    actor: Actor,
    cooperative_id: int,
    officers: Sequence[OfficerEntry],
    *,
    expected_version: int | None = None,
) -> Cooperative:
    """Replace the cooperative's officers with ``officers`` (an empty list clears them)."""
    coop = get_cooperative(session, cooperative_id, field="cooperative_id")
    check_version(coop, expected_version)
    wanted = _cleaned(officers)
    before = stored_officers(session, coop.id)
    if sorted(map(_json, before), key=str) == sorted(map(_json, wanted), key=str):
        return coop
    session.execute(delete(Officer).where(Officer.cooperative_id == coop.id))
    session.add_all(
        Officer(
            cooperative_id=coop.id,
            role=o.role,
            name=o.name,
            term_start=o.term_start,
            term_end=o.term_end,
        )
        for o in wanted
    )
    # Touch the row so its version moves: the officers are part of what a reader saw.
    coop.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        "cooperative.record_officers",
        target_type="cooperative",
        target_id=coop.id,
        before={"officers": [_json(o) for o in before]},
        after={"officers": [_json(o) for o in wanted]},
    )
    note_change(session)
    announce(session, coop.id, ChangeType.officers_recorded, fields=["officers"])
    return coop
