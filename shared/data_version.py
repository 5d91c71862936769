"""The data version: bumped by every change coverage depends on (see ``DataState``)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared.models import DataState, utcnow


def bump_data_version(session: Session) -> int:
    """Mark the data changed in the caller's transaction; returns the new version."""
    result = session.execute(
        update(DataState)
        .where(DataState.id == 1)
        .values(data_version=DataState.data_version + 1, changed_at=utcnow())
        .returning(DataState.data_version)
    )
    return int(result.scalar_one())


def get_state(session: Session) -> DataState:
    return session.execute(select(DataState).where(DataState.id == 1)).scalar_one()
