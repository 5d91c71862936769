"""Writing a registry plan: only the differences, set-based (``executemany``, COPY), in the
caller's transaction, so a second import of the same file writes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from shared.bulk import delete_each, insert_dicts, insert_new, table_of, update_each
from shared.changes import Change, emit
from shared.models import (
    Cooperative,
    CooperativeVillage,
    MemberCount,
    Officer,
    Outlet,
    OutletStatus,
    StageEvent,
    link_codes,
    utcnow,
)
from shared.registry.plan import Plan
from shared.registry.rows import LEGAL_NUMBERS, VALUE_COLUMNS

OPERATING = OutletStatus.operating  # outlets a registry file lists operate


def apply(session: Session, result: Plan) -> None:
    """Write the plan's differences in the caller's transaction, set-based."""
    now = utcnow()
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    created = {
        r.registry_id: {"registry_id": r.registry_id, **r.values, **stamps} for r in result.created
    }
    ids = {**result.existing_ids, **insert_new(session, Cooperative, created)}
    result.ids = ids
    stored = [row for row in result.values_changed if row.registry_id in result.existing_ids]
    # Free the numbers first, so two cooperatives may swap them within one file.
    freed = [{"id": i, **dict.fromkeys(LEGAL_NUMBERS)} for i in result.identifiers_changed]
    update_each(session, Cooperative, ["id"], freed)
    values = [
        {"id": ids[row.registry_id], **{c: row.values[c] for c in VALUE_COLUMNS}} for row in stored
    ]
    version = table_of(Cooperative).c.version + 1
    update_each(session, Cooperative, ["id"], values, also={"updated_at": now, "version": version})

    link = [{"cooperative_id": c, "village_id": v} for c, v in result.links_removed]
    delete_each(session, CooperativeVillage, link)
    code_of = {v: code for code, v in result.village_ids.items()}
    links = [
        {
            "cooperative_id": ids[row.registry_id],
            "village_id": v,
            **link_codes(code_of[v]),
            "linked_at": now,
        }
        for row, v in result.links_added
    ]
    insert_dicts(session, table_of(CooperativeVillage), links)

    delete_each(
        session, StageEvent, [{"cooperative_id": c, "stage": s} for c, s in result.events_removed]
    )
    dates = [
        {"cooperative_id": c, "stage": s, "reached_on": d} for c, s, d in result.events_changed
    ]
    update_each(session, StageEvent, ["cooperative_id", "stage"], dates, also={"recorded_at": now})
    events = [
        {"cooperative_id": ids[row.registry_id], "stage": s, "reached_on": d, "recorded_at": now}
        for row, s, d in result.events_added
    ]
    insert_dicts(session, table_of(StageEvent), events)

    delete_each(session, Outlet, [{"id": i} for i in result.outlets_removed])
    outlets = [
        {"cooperative_id": ids[row.registry_id], "type": t, "kbli": k, "status": OPERATING}
        for row, t, k in result.outlets_added
    ]
    insert_dicts(session, table_of(Outlet), outlets)

    counts = [{"cooperative_id": c, "as_of": d, "members": n} for c, d, n in result.members_changed]
    update_each(session, MemberCount, ["cooperative_id", "as_of"], counts)
    members = [
        {"cooperative_id": ids[row.registry_id], "as_of": as_of, "members": n}
        for row, as_of, n in result.members_added
    ]
    insert_dicts(session, table_of(MemberCount), members)

    delete_each(session, Officer, [{"cooperative_id": c} for c in result.officers_cleared])
    officers = [
        {
            "cooperative_id": ids[row.registry_id],
            "role": role,
            "name": name,
            "term_start": start,
            "term_end": end,
        }
        for row, (role, name, start, end) in result.officers_added
    ]
    insert_dicts(session, table_of(Officer), officers)


def announce(session: Session, result: Plan) -> None:
    """The plan's change-feed events, in one COPY (after the import's data-version bump)."""
    emit(
        session,
        (
            Change(
                kind,
                "Cooperative",
                result.ids[row.registry_id],
                [*row.village_codes, *result.villages_left.get(row.registry_id, ())],
                fields,
            )
            for row, kind, fields in result.announcements
        ),
    )
