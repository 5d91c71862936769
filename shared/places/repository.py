"""The database side of reconciliation: the gazetteer of the current edition (``regions``)
and the crosswalk store (``place_crosswalk``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.bulk import delete_each, insert_dicts, table_of, update_each
from shared.models import Edition, PlaceCrosswalk, Region, RegionLevel, utcnow
from shared.places.crosswalk import CrosswalkEntry
from shared.places.gazetteer import CODE_LENGTH, DEPTH, LEVELS, Gazetteer
from shared.places.results import Outcome


def load_current_gazetteer(session: Session) -> Gazetteer:
    """Every region of the current edition (retired ones are left out: a name must not land
    on a village that no longer exists). One query, rows not ORM objects."""
    edition = session.execute(select(Edition.label).where(Edition.is_current)).scalar_one_or_none()
    rows = session.execute(
        select(Region.code, Region.name, Region.level, Region.kind).where(
            Region.retired_edition_id.is_(None)
        )
    )
    return Gazetteer.from_rows(
        ((code, name, level, _parent_code(code, level), kind) for code, name, level, kind in rows),
        edition=edition,
    )


def _parent_code(code: str, level: RegionLevel) -> str | None:
    if level is RegionLevel.province:
        return None
    return code[: CODE_LENGTH[LEVELS[DEPTH[level] - 1]]]


# A crosswalk entry's columns, in CrosswalkEntry's order.
_ENTRY = (
    PlaceCrosswalk.level,
    PlaceCrosswalk.source_id,
    PlaceCrosswalk.code,
    PlaceCrosswalk.name,
    PlaceCrosswalk.outcome,
)


class DbCrosswalkStore:
    """The crosswalk in the ``place_crosswalk`` table, in the caller's session and
    transaction (a :class:`~shared.places.crosswalk.CrosswalkStore`). ``write`` stores the
    differences: new ids inserted, changed codes updated, ids no longer given deleted."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def read(self, source: str) -> list[CrosswalkEntry]:
        rows = self.session.execute(select(*_ENTRY).where(PlaceCrosswalk.source == source))
        return [
            CrosswalkEntry(level, source_id, code, name, Outcome(outcome))
            for level, source_id, code, name, outcome in rows
        ]

    def write(self, source: str, entries: Iterable[CrosswalkEntry]) -> None:
        stored = {
            (level, source_id): (row_id, code, name, outcome)
            for row_id, level, source_id, code, name, outcome in self.session.execute(
                select(PlaceCrosswalk.id, *_ENTRY).where(PlaceCrosswalk.source == source)
            )
        }
        now = utcnow()
        added: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        kept: set[tuple[RegionLevel, str]] = set()
        for e in entries:
            key = (e.level, e.source_id)
            kept.add(key)
            values = {"code": e.code, "name": e.name[:300], "outcome": e.outcome.value}
            old = stored.get(key)
            if old is None:
                added.append(
                    {"source": source, "level": e.level, "source_id": e.source_id, **values}
                    | {"updated_at": now}
                )
            elif old[1:] != (values["code"], values["name"], values["outcome"]):
                changed.append({"id": old[0], **values, "updated_at": now})
        gone = [{"id": row[0]} for key, row in stored.items() if key not in kept]
        delete_each(self.session, PlaceCrosswalk, gone)
        update_each(self.session, PlaceCrosswalk, ["id"], changed)
        insert_dicts(self.session, table_of(PlaceCrosswalk), added)
