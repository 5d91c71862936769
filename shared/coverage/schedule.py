"""Telling coverage that the data changed.

Every service that changes what coverage depends on (villages, cooperatives, their villages,
stages, outlets, proposals) calls :func:`note_change` in its transaction. That bumps the data
version (so current figures read as stale at once) and, once the transaction has committed,
asks for a recalculation.
"""

from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

from shared.state import bump_data_version

log = logging.getLogger(__name__)

_HOOKED = "kopdes_coverage_hooked"


def note_change(session: Session) -> int:
    """Bump the data version in the caller's transaction; recompute after it commits."""
    version = bump_data_version(session)
    if not session.info.get(_HOOKED):
        session.info[_HOOKED] = True
        event.listen(session, "after_commit", _after_commit, once=True)
        event.listen(session, "after_rollback", _forget, once=True)
    return version


def _forget(session: Session) -> None:
    session.info.pop(_HOOKED, None)


def _after_commit(session: Session) -> None:
    session.info.pop(_HOOKED, None)
    from shared.db import get_database
    from shared.jobs import request_coverage_recompute

    try:
        request_coverage_recompute(get_database(), requested_by="system")
    except Exception:  # the data committed; a lost trigger only delays fresh figures
        log.exception("could not queue a coverage recalculation")
