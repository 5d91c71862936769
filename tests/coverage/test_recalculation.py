"""When and how coverage is recalculated: coalescing, staleness, snapshots, what counts where."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from shared.audit import Actor
from shared.coverage.flow import recompute_now
from shared.coverage.service import is_village_scope, read_state, village_figures
from shared.db import Database
from shared.models import CoverageSnapshot, ImportJob, JobKind, JobStatus
from shared.proposals.service import submit_proposal
from shared.registry.service import import_now
from tests.registry.support import (
    WILAYAH_2025_64,
    coop,
    load_villages,
    wait_until_fresh,
    write_rows,
)

STEWARD = Actor(name="test-steward")


def _figure(db: Database, scope: str, column: str) -> object:
    with db.sync_session() as session:
        if is_village_scope(scope):  # read live, not stored
            return getattr(village_figures(session, [scope])[scope], column)
        return session.execute(
            text(f"SELECT {column} FROM coverage_figures WHERE scope_code = :s"), {"s": scope}
        ).scalar_one()


def _coverage_jobs(db: Database) -> list[ImportJob]:
    with db.sync_session() as session:
        return list(
            session.execute(
                select(ImportJob).where(ImportJob.kind == JobKind.coverage).order_by(ImportJob.id)
            ).scalars()
        )


def test_an_empty_database_gives_zero_figures_not_nulls(db: Database) -> None:
    job = recompute_now(db)
    assert job.status == JobStatus.succeeded
    with db.sync_session() as session:
        nation = (
            session.execute(text("SELECT * FROM coverage_figures WHERE level = 'nation'"))
            .mappings()
            .one()
        )
    assert nation["active_villages"] == 0
    assert nation["cooperatives"] == 0
    assert nation["proposals_total"] == 0
    assert nation["coverage_percent"] == 0


def test_a_burst_of_changes_from_many_threads_leads_to_one_recalculation(
    db: Database, request: pytest.FixtureRequest
) -> None:
    load_villages(db)
    recompute_now(db)
    before = len(_coverage_jobs(db))

    def propose(n: int) -> None:
        for i in range(5):
            with db.transaction() as session:
                submit_proposal(
                    session,
                    STEWARD,
                    region_code="64.01",
                    proposed_name=f"Usulan {n}-{i}",
                    external_id=f"P-{n}-{i}",
                )

    threads = [threading.Thread(target=propose, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # No worker yet: the one request waits, and the figures say they are stale.
    jobs = _coverage_jobs(db)[before:]
    assert [j.status for j in jobs] == [JobStatus.queued]
    with db.sync_session() as session:
        state = read_state(session)
    assert state.stale
    assert state.pending
    assert _figure(db, "64", "proposals_total") == 0

    request.getfixturevalue("worker")
    state = wait_until_fresh(db)

    jobs = _coverage_jobs(db)[before:]
    assert [j.status for j in jobs] == [JobStatus.succeeded]
    assert _figure(db, "64.01", "proposals_total") == 20
    assert _figure(db, "64", "data_version") == state.data_version

    # The next change asks for a new run.
    with db.transaction() as session:
        submit_proposal(session, STEWARD, region_code="64.02", proposed_name="Later")
    wait_until_fresh(db)
    assert len(_coverage_jobs(db)) == before + 2
    assert _figure(db, "64", "proposals_total") == 21


def test_figures_are_stale_between_a_change_and_the_recalculation(
    db: Database, tmp_path: Path
) -> None:
    load_villages(db)
    path = write_rows(tmp_path / "stale.csv", [coop("64.01.01.2009")])
    recompute_now(db)
    with db.sync_session() as session:
        assert not read_state(session).stale

    import_now(db, path)

    with db.sync_session() as session:
        state = read_state(session)
    assert state.stale
    assert state.coverage_version < state.data_version
    assert _figure(db, "64", "covered_villages") == 0  # the old figures, marked stale

    recompute_now(db)

    with db.sync_session() as session:
        state = read_state(session)
    assert not state.stale
    assert not state.pending  # the queued request was covered by this run
    assert _figure(db, "64", "covered_villages") == 1
    assert all(j.status == JobStatus.succeeded for j in _coverage_jobs(db))


def test_every_run_appends_a_dated_snapshot_for_trends(db: Database, tmp_path: Path) -> None:
    load_villages(db)
    recompute_now(db)
    import_now(db, write_rows(tmp_path / "trend.csv", [coop("64.01.01.2009")]))
    recompute_now(db)
    with db.sync_session() as session:
        rows = session.execute(
            select(
                CoverageSnapshot.computed_at,
                CoverageSnapshot.data_version,
                CoverageSnapshot.covered_villages,
            )
            .where(CoverageSnapshot.scope_code == "64")
            .order_by(CoverageSnapshot.computed_at)
        ).all()
        levels = session.execute(
            select(CoverageSnapshot.level, func.count()).group_by(CoverageSnapshot.level)
        ).all()
    assert [r.covered_villages for r in rows] == [0, 1]
    assert rows[0].data_version < rows[1].data_version
    assert rows[0].computed_at < rows[1].computed_at
    assert dict(levels) == {"nation": 2, "province": 2, "regency": 20, "district": 210}


def test_a_merger_across_regencies_counts_once_at_its_home_village(
    db: Database, tmp_path: Path
) -> None:
    load_villages(db)
    job = import_now(
        db,
        write_rows(
            tmp_path / "merger.csv",
            [coop("64.01.01.2009;64.02.01.2001", "M-1")],
        ),
    )
    assert job.status == JobStatus.succeeded, job.errors
    recompute_now(db)
    assert _figure(db, "64.01", "cooperatives") == 1
    assert _figure(db, "64.02", "cooperatives") == 0
    assert _figure(db, "64.01", "covered_villages") == 1
    assert _figure(db, "64.02", "covered_villages") == 1
    assert _figure(db, "64", "cooperatives") == 1
    assert _figure(db, "64", "mergers") == 1
    assert _figure(db, "64", "covered_villages") == 2


def test_two_cooperatives_in_one_village_cover_it_once_at_the_furthest_stage(
    db: Database, tmp_path: Path
) -> None:
    load_villages(db)
    shared, alone = "64.01.01.2009", "64.01.01.2010"
    rows = [
        coop(shared, "R-1", stage="deliberation"),
        coop(shared, "R-2", stage="legal_entity"),
        coop(alone, "R-3", stage="deliberation"),
    ]
    job = import_now(db, write_rows(tmp_path / "two.csv", rows))
    assert job.status == JobStatus.succeeded, job.errors
    recompute_now(db)
    for scope in ("64", "64.01", "64.01.01"):
        assert _figure(db, scope, "cooperatives") == 3, scope
        assert _figure(db, scope, "covered_villages") == 2, scope
        assert _figure(db, scope, "covered_legal_entity") == 1, scope
        assert _figure(db, scope, "covered_formed") == 1, scope
    assert _figure(db, "64", "active_villages") == 1038
    assert _figure(db, "64.01.01", "active_villages") == 9
    assert _figure(db, shared, "active_villages") == 1  # read live: one village, once
    assert _figure(db, shared, "covered_villages") == 1
    assert _figure(db, shared, "covered_legal_entity") == 1
    assert _figure(db, shared, "cooperatives") == 2


def test_a_retired_villages_cooperative_still_counts_where_it_belongs(
    db: Database, tmp_path: Path
) -> None:
    load_villages(db)
    retired = "64.01.01.2009"
    job = import_now(
        db,
        write_rows(tmp_path / "r.csv", [coop(retired, "R-old"), coop("64.01.01.2010", "R-kept")]),
    )
    assert job.status == JobStatus.succeeded, job.errors
    # A later edition without the village retires it.
    newer = tmp_path / "2026-64"
    shutil.copytree(WILAYAH_2025_64, newer)
    lines = (newer / "villages.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (newer / "villages.csv").write_text(
        "".join(line for line in lines if not line.startswith(retired)), encoding="utf-8"
    )
    load_villages(db, newer, label="2026-test")

    recompute_now(db)

    assert _figure(db, "64", "active_villages") == 1037
    assert _figure(db, "64", "covered_villages") == 1
    assert _figure(db, "64", "cooperatives") == 2
    assert _figure(db, "64", "retired_villages_with_cooperatives") == 1
    assert _figure(db, "64.01", "cooperatives") == 2
    assert _figure(db, "64.01.01", "cooperatives") == 2
    assert _figure(db, "64.01.01", "active_villages") == 8  # 9 in 2025, one retired
    assert _figure(db, retired, "active_villages") == 0
    assert _figure(db, retired, "cooperatives") == 1
    assert _figure(db, retired, "retired_villages_with_cooperatives") == 1
    assert _figure(db, retired, "covered_villages") == 0
    # The registry may still re-import the cooperative with its (retired) village.
    again = import_now(db, write_rows(tmp_path / "again.csv", [coop(retired, "R-old", name="x")]))
    assert again.status == JobStatus.succeeded, again.errors
