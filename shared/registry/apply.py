"""Writing a registry plan: only the differences, set-based (``executemany``, COPY), in the
caller's transaction, so a second import of the same file writes nothing.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, delete, update
from sqlalchemy.orm import Session

from shared.bulk import insert_dicts, insert_new, table_of
from shared.models import (
    Cooperative,
    CooperativeVillage,
    MemberCount,
    Outlet,
    OutletStatus,
    StageEvent,
    utcnow,
)
from shared.registry.plan import Plan
from shared.registry.rows import LEGAL_NUMBERS, VALUE_COLUMNS


def apply(session: Session, result: Plan) -> None:
    """Write the plan's differences in the caller's transaction, set-based."""
    now = utcnow()
    created = {
        row.registry_id: {
            "registry_id": row.registry_id,
            **row.values,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for row in result.created
    }
    ids = {**result.existing_ids, **insert_new(session, Cooperative, created)}
    table = table_of(Cooperative)
    updates = [row for row in result.values_changed if row.registry_id in result.existing_ids]
    if result.identifiers_changed:
        # Free the numbers first, so two cooperatives may swap them within one file.
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(dict.fromkeys(LEGAL_NUMBERS)),
            [{"_id": coop_id} for coop_id in result.identifiers_changed],
        )
    if updates:
        session.execute(
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values(
                {
                    **{c: bindparam(f"v_{c}") for c in VALUE_COLUMNS},
                    "updated_at": now,
                    "version": table.c.version + 1,
                }
            ),
            [
                {"_id": ids[row.registry_id], **{f"v_{c}": row.values[c] for c in VALUE_COLUMNS}}
                for row in updates
            ],
        )
    links = table_of(CooperativeVillage)
    if result.links_removed:
        session.execute(
            delete(links).where(
                and_(
                    links.c.cooperative_id == bindparam("_c"),
                    links.c.village_id == bindparam("_v"),
                )
            ),
            [{"_c": c, "_v": v} for c, v in result.links_removed],
        )
    if result.links_added:
        insert_dicts(
            session,
            links,
            [
                {"cooperative_id": ids[row.registry_id], "village_id": v, "linked_at": now}
                for row, v in result.links_added
            ],
        )
    events = table_of(StageEvent)
    if result.events_removed:
        session.execute(
            delete(events).where(
                and_(events.c.cooperative_id == bindparam("_c"), events.c.stage == bindparam("_s"))
            ),
            [{"_c": c, "_s": s} for c, s in result.events_removed],
        )
    if result.events_changed:
        session.execute(
            update(events)
            .where(
                and_(events.c.cooperative_id == bindparam("_c"), events.c.stage == bindparam("_s"))
            )
            .values(reached_on=bindparam("_d"), recorded_at=now),
            [{"_c": c, "_s": s, "_d": d} for c, s, d in result.events_changed],
        )
    if result.events_added:
        insert_dicts(
            session,
            events,
            [
                {
                    "cooperative_id": ids[row.registry_id],
                    "stage": stage,
                    "reached_on": reached,
                    "recorded_at": now,
                }
                for row, stage, reached in result.events_added
            ],
        )
    outlets = table_of(Outlet)
    if result.outlets_removed:
        session.execute(
            delete(outlets).where(outlets.c.id == bindparam("_id")),
            [{"_id": i} for i in result.outlets_removed],
        )
    if result.outlets_added:
        insert_dicts(
            session,
            outlets,
            [
                {
                    "cooperative_id": ids[row.registry_id],
                    "type": outlet_type,
                    "kbli": kbli,
                    "status": OutletStatus.operating,
                }
                for row, outlet_type, kbli in result.outlets_added
            ],
        )
    members = table_of(MemberCount)
    if result.members_changed:
        session.execute(
            update(members)
            .where(
                and_(
                    members.c.cooperative_id == bindparam("_c"), members.c.as_of == bindparam("_d")
                )
            )
            .values(members=bindparam("_n")),
            [{"_c": c, "_d": d, "_n": n} for c, d, n in result.members_changed],
        )
    if result.members_added:
        insert_dicts(
            session,
            members,
            [
                {"cooperative_id": ids[row.registry_id], "as_of": as_of, "members": n}
                for row, as_of, n in result.members_added
            ],
        )
