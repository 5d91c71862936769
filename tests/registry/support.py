"""Loading villages and writing small registry files for the registry and coverage tests."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from shared.coverage.service import CoverageState, read_state
from shared.db import Database
from shared.models import JobStatus
from shared.villages.service import EditionInfo, import_now

TESTS = Path(__file__).resolve().parent.parent
WILAYAH_2025_64 = TESTS / "data" / "wilayah" / "2025-64"
EDITION_2025 = EditionInfo("2025", "Kepmendagri 300.2.2-2138/2025")


def load_villages(db: Database, folder: Path = WILAYAH_2025_64, label: str = "2025") -> None:
    """Province 64 through the real village importer."""
    job = import_now(db, [folder], edition=EditionInfo(label))
    assert job.status == JobStatus.succeeded, (job.message, job.errors)


def write_rows(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    names = columns or list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=names)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def coop(code: str, registry_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """A minimal valid registry row for one village."""
    return {
        "registry_id": registry_id or f"R-{code}",
        "name": f"Koperasi {code}",
        "village_codes": code,
        "scheme": "new",
        "stage": "legal_entity",
        **fields,
    }


def wait_until_fresh(db: Database, timeout: float = 60.0) -> CoverageState:
    """Poll until the figures reflect the current data and no recalculation is pending."""
    deadline = time.monotonic() + timeout
    while True:
        with db.sync_session() as session:
            state = read_state(session)
        if not state.stale and not state.pending:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"coverage still stale after {timeout}s: {state}")
        time.sleep(0.1)


def table_dump(db: Database, model: Any) -> list[tuple[Any, ...]]:
    """Every row of a table, in primary-key order, to compare before and after."""
    with db.sync_session() as session:
        table = model.__table__
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        return [tuple(r) for r in rows]
