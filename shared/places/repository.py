"""The gazetteer of the current edition, read from the database's ``regions`` table."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.models import Edition, Region, RegionLevel
from shared.places.gazetteer import CODE_LENGTH, DEPTH, LEVELS, Gazetteer


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
