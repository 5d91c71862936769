"""First start of the embedded runtime: load the bundled official list into an empty database."""

from __future__ import annotations

import logging

from shared.db import Database

log = logging.getLogger(__name__)


def queue_bundled_import_if_empty(db: Database) -> int | None:
    """Queue an import of the bundled 2025 edition when no region exists; returns the job id.

    Placeholder until the village importer lands: it does nothing yet.
    """
    log.warning("bundled village import is not available yet")
    return None
