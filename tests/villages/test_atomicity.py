"""An edition swaps in one transaction, and one village-list import runs at a time."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.models import Edition, ImportJob, JobStatus, RegionChange
from shared.villages import flow as service
from shared.villages.service import import_now
from tests.villages.common import (
    E2022,
    E2025,
    WILAYAH_2022,
    WILAYAH_2025,
    current_edition,
    region_names,
)


class Injected(RuntimeError):
    pass


@pytest.fixture
def hooks() -> Iterator[dict[str, list[service.Hook]]]:
    yield service.HOOKS
    for points in service.HOOKS.values():
        points.clear()


def test_failure_in_the_write_phase_leaves_the_previous_edition_intact(
    db: Database, hooks: dict[str, list[service.Hook]]
) -> None:
    assert import_now(db, [WILAYAH_2022], edition=E2022).status is JobStatus.succeeded
    before = region_names(db)
    written: list[int] = []

    def explode(job_id: int, session: Session | None) -> None:
        assert session is not None
        # The new names are in the transaction when it fails: the rollback must undo them.
        written.append(session.execute(select(func.count()).select_from(RegionChange)).scalar_one())
        raise Injected("disk full, say")

    hooks["writing"].append(explode)
    with pytest.raises(Injected):
        import_now(db, [WILAYAH_2025], edition=E2025)
    assert written == [25]
    assert region_names(db) == before
    assert current_edition(db) == "2022"
    with db.sync_session() as session:
        assert session.execute(select(func.count()).select_from(RegionChange)).scalar_one() == 0
        assert session.execute(select(Edition.label)).scalars().all() == ["2022"]
        job = session.execute(select(ImportJob).order_by(ImportJob.id.desc())).scalars().first()
        assert job is not None
        assert job.status is JobStatus.failed
        assert "Injected" in (job.message or "")

    hooks["writing"].clear()
    again = import_now(db, [WILAYAH_2025], edition=E2025)
    assert again.status is JobStatus.succeeded, again.message
    assert region_names(db)["64.02.20"] == "Samboja Barat"


def test_a_second_import_is_refused_while_one_runs(
    db: Database, hooks: dict[str, list[service.Hook]]
) -> None:
    inside = threading.Event()
    release = threading.Event()
    first_job: list[int] = []

    def hold(job_id: int, _session: Session | None) -> None:
        if not first_job:
            first_job.append(job_id)
            inside.set()
            assert release.wait(30)

    hooks["validated"].append(hold)
    results: list[ImportJob] = []
    runner = threading.Thread(
        target=lambda: results.append(import_now(db, [WILAYAH_2022], edition=E2022))
    )
    runner.start()
    try:
        assert inside.wait(30)
        second = import_now(db, [WILAYAH_2025], edition=E2025)
        assert second.status is JobStatus.failed
        assert f"another village-list import (job {first_job[0]}" in (second.message or "")
        assert "one runs at a time" in (second.message or "")
    finally:
        release.set()
        runner.join(30)
    assert len(results) == 1
    assert results[0].status is JobStatus.succeeded, results[0].message
    assert current_edition(db) == "2022"


def test_check_constraints_hold_again_after_a_bulk_import(db: Database) -> None:
    # SQLite skips CHECKs for the importer's own validated rows; every later write keeps them.
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    assert import_now(db, [WILAYAH_2022], edition=E2022).status is JobStatus.succeeded
    for _ in range(3):  # whichever pooled connection comes back
        with pytest.raises(IntegrityError), db.transaction() as session:
            session.execute(text("UPDATE regions SET level = 'nowhere' WHERE code = '64'"))


def test_the_first_load_leaves_every_index_and_constraint_in_place(db: Database) -> None:
    # The first load into an empty list drops and rebuilds indexes (and on PostgreSQL the
    # unique and foreign-key constraints) inside its transaction.
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from shared.models import Base

    assert import_now(db, [WILAYAH_2022], edition=E2022).status is JobStatus.succeeded
    with db.sync_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        inspector = inspect(conn)
        assert {ix["name"] for ix in inspector.get_indexes("regions")} >= {
            "ix_regions_parent_id", "ix_regions_level_province", "ix_regions_regency_code",
            "ix_regions_district_code", "ix_regions_retired_edition_id",
        }  # fmt: skip
        assert len(inspector.get_foreign_keys("regions")) == 3
