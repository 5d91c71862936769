"""The bundled 2025 edition: the whole national list, as the embedded `serve` loads it."""

from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import func, select

from shared.db import Database
from shared.models import Edition, JobStatus, Region, RegionKind, RegionLevel
from shared.villages.bootstrap import queue_bundled_import_if_empty
from shared.villages.bundled import BUNDLED_COUNTS, BUNDLED_PATH, DATA_DIR
from tests.support import wait_for_job
from tests.villages.common import region_count


def test_the_bundle_ships_with_its_source_and_licence() -> None:
    assert BUNDLED_PATH.stat().st_size < 2_000_000  # compressed
    with zipfile.ZipFile(BUNDLED_PATH) as archive:
        names = set(archive.namelist())
    assert names == {"provinces.csv", "regencies.csv", "districts.csv", "villages.csv"}
    assert "Copyright (c) 2017-2025 Cahya DSN" in (DATA_DIR / "LICENSE").read_text()
    source = (DATA_DIR / "SOURCE.md").read_text()
    assert "300.2.2-2138" in source
    assert "cahyadsn/wilayah" in source


@pytest.mark.slow
def test_first_start_of_an_empty_database_imports_the_whole_national_list(
    db: Database, worker: object
) -> None:
    job_id = queue_bundled_import_if_empty(db)
    assert job_id is not None
    job = wait_for_job(db, job_id, timeout=240)
    assert job.status is JobStatus.succeeded, (job.message, job.errors)
    assert job.error_count == 0
    assert job.counts["regions"] == BUNDLED_COUNTS
    for level, count in BUNDLED_COUNTS.items():
        assert region_count(db, RegionLevel(level)) == count
    with db.sync_session() as session:
        edition = session.execute(select(Edition).where(Edition.is_current)).scalar_one()
        assert (edition.label, edition.decree, str(edition.published_on)) == (
            "2025",
            "Kepmendagri 300.2.2-2138/2025",
            "2025-04-25",
        )
        kinds = dict(
            session.execute(
                select(Region.kind, func.count())
                .where(Region.level == RegionLevel.village)
                .group_by(Region.kind)
            ).all()
        )
        assert kinds == {RegionKind.desa: 75_266, RegionKind.kelurahan: 8_496}
        customary = session.execute(
            select(func.count()).select_from(Region).where(Region.customary)
        ).scalar_one()
        assert customary == 14
        lempake = session.execute(select(Region).where(Region.code == "64.72.05.1003")).scalar_one()
        assert (lempake.name, lempake.kind, lempake.regency_code) == (
            "Lempake",
            RegionKind.kelurahan,
            "64.72",
        )
    # Not empty any more: a second start queues nothing.
    assert queue_bundled_import_if_empty(db) is None
