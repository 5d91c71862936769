"""The embedded runtime runs every job it accepts: a CLI command runs its own to the end
(with the coverage recalculation after it), and `kopdes serve` picks up the queued jobs that
another process accepted and left behind."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from shared.config import Settings
from shared.db import Database
from shared.jobs.store import create_job
from shared.models import CoverageFigure, DataState, ImportJob, JobKind, JobStatus
from tests.registry.support import coop, write_rows
from tests.reliability.processes import Proc, free_port, kopdes, kopdes_env, wait_http
from tests.support import embedded_only, wait_for_job

WILAYAH = Path(__file__).resolve().parent.parent / "data" / "wilayah" / "2025-64"
pytestmark = embedded_only


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Database, dict[str, str], Proc]]:
    """`kopdes serve` (embedded) on a database file of its own, with the province loaded."""
    url = f"sqlite:///{tmp_path / 'kopdes.db'}"
    env = kopdes_env(KOPDES_DATABASE_URL=url, KOPDES_IMPORT_BUNDLED_ON_START="false")
    env.pop("KOPDES_REDIS_URL", None)
    port = free_port()
    local = Database(Settings(database_url=url))
    try:
        with kopdes(["serve", "--port", str(port)], env, tmp_path / "serve.log") as server:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            _cli(env, "import", "villages", str(WILAYAH), "--edition", "2025")
            yield local, env, server
    finally:
        local.sync_engine.dispose()


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "cli", *args], env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result


def _state(db: Database) -> tuple[int, int]:
    with db.sync_session() as session:
        state = session.execute(select(DataState)).scalar_one()
        return state.data_version, state.coverage_version


def _national_cooperatives(db: Database) -> int:
    with db.sync_session() as session:
        figure = session.execute(
            select(CoverageFigure).where(CoverageFigure.scope_code == "")
        ).scalar_one()
        return int(figure.cooperatives)


def test_a_cli_import_while_serve_runs_leaves_coverage_fresh(
    served: tuple[Database, dict[str, str], Proc], tmp_path: Path
) -> None:
    db, env, server = served
    path = write_rows(tmp_path / "r.csv", [coop("64.01.01.2009"), coop("64.01.01.2010")])
    finished_at = time.monotonic()
    _cli(env, "import", "cooperatives", str(path))  # no --wait: it runs here all the same
    deadline = finished_at + 10
    while _state(db)[1] < _state(db)[0]:
        assert time.monotonic() < deadline, ("coverage stale", _state(db), server.output())
        time.sleep(0.1)
    assert _national_cooperatives(db) == 2
    with db.sync_session() as session:
        jobs = session.execute(select(ImportJob.kind, ImportJob.status)).all()
    assert all(status == JobStatus.succeeded for _, status in jobs), jobs
    assert [kind for kind, _ in jobs].count(JobKind.cooperatives) == 1


def test_coverage_recompute_no_wait_runs_in_the_cli_without_redis(
    served: tuple[Database, dict[str, str], Proc],
) -> None:
    db, env, _ = served
    result = _cli(env, "coverage", "recompute", "--no-wait")
    assert "queued" not in result.stdout
    with db.sync_session() as session:
        statuses = (
            session.execute(select(ImportJob.status).where(ImportJob.kind == JobKind.coverage))
            .scalars()
            .all()
        )
    assert statuses
    assert set(statuses) == {JobStatus.succeeded}


def test_serve_picks_up_a_job_that_another_process_accepted_and_left_queued(
    served: tuple[Database, dict[str, str], Proc],
) -> None:
    db, _, server = served
    # Accepted by "another process" whose in-memory queue died: a row and no message.
    with db.transaction() as session:
        job = create_job(session, JobKind.coverage, requested_by="gone")
    finished = wait_for_job(db, job.id, timeout=15)
    assert finished.status == JobStatus.succeeded, (finished.message, server.output())
    assert finished.attempts == 1
    assert finished.worker_id.endswith(f":{server.popen.pid}")
