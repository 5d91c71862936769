"""The gazetteer read from the database is the current edition, as the file gives it."""

from __future__ import annotations

import shutil
from pathlib import Path

from shared.db import Database
from shared.models import JobStatus, RegionLevel
from shared.places import (
    Gazetteer,
    Outcome,
    PlaceRow,
    Reconciler,
    load_current_gazetteer,
    load_edition_archive,
)
from shared.villages.edition import EditionInfo
from shared.villages.service import import_now

KALTIM_2025 = Path(__file__).resolve().parents[1] / "data" / "wilayah" / "2025-64"
LEMPAKE = "64.72.05.1003"


def without_village(tmp_path: Path, code: str) -> Path:
    """The Kaltim 2025 files as a later edition that no longer has one village."""
    folder = tmp_path / "2026-64"
    shutil.copytree(KALTIM_2025, folder)
    villages = folder / "villages.csv"
    lines = villages.read_text(encoding="utf-8").splitlines(keepends=True)
    villages.write_text(
        "".join(ln for ln in lines if not ln.startswith(code + ",")), encoding="utf-8"
    )
    return folder


def as_set(gazetteer: Gazetteer) -> set[tuple[object, ...]]:
    return {tuple(place) for place in gazetteer.places.values()}


def test_the_database_gazetteer_holds_the_current_edition_without_retired_regions(
    db: Database, tmp_path: Path
) -> None:
    assert import_now(db, [KALTIM_2025], edition=EditionInfo("2025")).status is JobStatus.succeeded
    with db.sync_session() as session:
        current = load_current_gazetteer(session)
    assert current.edition == "2025"
    assert as_set(current) == as_set(load_edition_archive(KALTIM_2025))
    assert len(current) == 1 + 10 + 105 + 1_038

    later = without_village(tmp_path, LEMPAKE)
    assert import_now(db, [later], edition=EditionInfo("2026")).status is JobStatus.succeeded
    with db.sync_session() as session:
        current = load_current_gazetteer(session)
    assert current.edition == "2026"
    assert current.get(LEMPAKE) is None  # retired: kept in the table, not matched against
    assert as_set(current) == as_set(load_edition_archive(later))
    match = Reconciler(current).reconcile(
        PlaceRow(("KALIMANTAN TIMUR", "KOTA SAMARINDA", "SAMARINDA UTARA", "LEMPAKE"))
    )
    assert match.outcome is Outcome.unknown
    assert match.decisive.level is RegionLevel.village
