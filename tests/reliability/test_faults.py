"""Faults: a killed worker, a restarted Redis, a cut database connection, Redis down, and a
restarted embedded runtime. Every accepted job finishes exactly once or fails with a reason,
and nothing is lost.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from dramatiq import Message
from sqlalchemy import func, select, text

from shared.audit import Actor
from shared.broker import build_broker
from shared.config import Settings
from shared.db import Database
from shared.jobs.actors import JOB_GAVE_UP as FAILURE_CALLBACK
from shared.jobs.store import create_job
from shared.models import ImportJob, JobKind, JobPhase, JobStatus, Region, RegionLevel, Role
from shared.villages.bundled import BUNDLED_EDITION, BUNDLED_PATH
from shared.villages.service import EditionInfo, import_now, start_village_import
from tests.reliability.processes import RedisServer, free_port, kopdes, kopdes_env, wait_http
from tests.support import needs_postgres, needs_redis, wait_for_job

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"
OLD = EditionInfo(label="2022", decree="Kepmendagri 100.1.1-6117/2022")


def _villages_and_name(db: Database, code: str) -> tuple[int, str | None]:
    with db.sync_session() as session:
        count = session.execute(
            select(func.count())
            .select_from(Region)
            .where(Region.level == RegionLevel.village, Region.retired_edition_id.is_(None))
        ).scalar_one()
        name = session.execute(select(Region.name).where(Region.code == code)).scalar_one_or_none()
    return int(count), name


def _job(db: Database, job_id: int) -> ImportJob:
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


@needs_postgres
@needs_redis
@pytest.mark.slow
def test_worker_killed_mid_national_import_completes_once_on_a_new_worker(
    db: Database, tmp_path: Path
) -> None:
    import_now(db, [DATA / "2022-64"], edition=OLD)
    assert _villages_and_name(db, "64.02.20") == (1038, "Semboja Barat")

    env = kopdes_env()
    with kopdes(["worker", "--processes", "1", "--threads", "1"], env, tmp_path / "w1.log") as w1:
        job = start_village_import(db, [BUNDLED_PATH], edition=BUNDLED_EDITION, actor=Actor("test"))
        deadline = time.monotonic() + 120
        while _job(db, job.id).phase != JobPhase.writing:
            assert time.monotonic() < deadline, f"import never reached writing: {w1.output()}"
            # The previous edition stays visible while the new one is read and compared.
            assert _villages_and_name(db, "64.02.20") == (1038, "Semboja Barat")
            time.sleep(0.02)
        w1.kill()
    assert _job(db, job.id).status == JobStatus.running  # left behind by the dead worker
    assert _villages_and_name(db, "64.02.20") == (1038, "Semboja Barat")

    with kopdes(["worker", "--processes", "1", "--threads", "1"], env, tmp_path / "w2.log") as w2:
        finished = wait_for_job(db, job.id, timeout=240)
        assert finished.status == JobStatus.succeeded, (finished.message, w2.output())
    assert finished.attempts == 2  # the killed attempt and the one that finished
    count, name = _villages_and_name(db, "64.02.20")
    assert (count, name) == (83_762, "Samboja Barat")
    with db.sync_session() as session:
        codes = session.execute(select(func.count(Region.code.distinct()))).scalar_one()
        rows = session.execute(select(func.count()).select_from(Region)).scalar_one()
    assert codes == rows == 38 + 514 + 7_285 + 83_762


@needs_postgres
@needs_redis
def test_jobs_queued_before_a_redis_restart_all_run(db: Database, tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = Settings(redis_url=server.url, redis_namespace="kopdes-restart")
        broker = build_broker(settings)
        broker.declare_queue("default")
        with db.transaction() as session:
            ids = [create_job(session, JobKind.coverage).id for _ in range(5)]
        for job_id in ids:
            broker.enqueue(
                Message(
                    queue_name="default",
                    actor_name="recompute_coverage",
                    args=(job_id,),
                    kwargs={},
                    options={"on_failure": FAILURE_CALLBACK},
                )
            )
        broker.close()
        server.stop()  # append-only file written on every command
        server.start()
        env = kopdes_env(KOPDES_REDIS_URL=server.url, KOPDES_REDIS_NAMESPACE="kopdes-restart")
        with kopdes(["worker", "--processes", "1", "--threads", "2"], env, tmp_path / "w.log") as w:
            for job_id in ids:
                finished = wait_for_job(db, job_id, timeout=90)
                assert finished.status == JobStatus.succeeded, (finished.message, w.output())
                # Coverage jobs coalesce: one that a concurrent run already covered ends
                # without running (attempts 0); none runs twice.
                assert finished.attempts <= 1
    finally:
        server.stop()


@needs_postgres
@needs_redis
def test_database_connection_cut_during_import_is_retried_and_loses_nothing(
    db: Database, worker: object
) -> None:
    import_now(db, [DATA / "2022-64"], edition=OLD)
    job = start_village_import(
        db,
        [DATA / "2025-64"],
        edition=EditionInfo(label="2025", decree="Kepmendagri 300.2.2-2138/2025"),
        actor=Actor("test"),
    )
    # Cut every other connection to the test database as soon as the job is running.
    deadline = time.monotonic() + 30
    while _job(db, job.id).status == JobStatus.queued:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    with db.sync_engine.connect() as conn:
        cut = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    assert cut >= 1
    finished = wait_for_job(db, job.id, timeout=120)
    if finished.status == JobStatus.succeeded:
        assert _villages_and_name(db, "64.02.20") == (1038, "Samboja Barat")
    else:  # failed for good: with a reason, and the previous edition intact
        assert finished.message
        assert _villages_and_name(db, "64.02.20") == (1038, "Semboja Barat")


@needs_postgres
def test_redis_down_queries_answer_readyz_explains_and_mutations_fail_clearly(
    db: Database, tmp_path: Path
) -> None:
    from shared.access.keys import create_key

    import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    with db.transaction() as session:
        token = create_key(session, Actor("test"), name="ops", role=Role.operations).token
    port = free_port()
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    env = kopdes_env(KOPDES_REDIS_URL=dead_redis, KOPDES_RATE_LIMIT_ENABLED="false")
    with kopdes(["serve", "--port", str(port), "--no-migrate"], env, tmp_path / "api.log") as api:
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        ready = httpx.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 503, api.output()
        assert "broker" in ready.json()["problems"]
        assert "database" not in ready.json()["problems"]

        query = httpx.post(
            f"{base}/graphql", json={"query": '{ region(code: "64") { name } }'}, timeout=10
        )
        assert query.json()["data"]["region"]["name"] == "Kalimantan Timur"

        mutation = httpx.post(
            f"{base}/graphql",
            json={"query": "mutation { recomputeCoverage { job { id status message } } }"},
            headers={"authorization": f"Bearer {token}"},
            timeout=30,
        )
        body = mutation.json()
        assert body.get("errors"), body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
        assert "queue" in error["message"]
    # The job it had accepted is not left queued forever: it failed with the reason.
    with db.sync_session() as session:
        jobs = (
            session.execute(select(ImportJob).where(ImportJob.request_id.is_not(None)))
            .scalars()
            .all()
        )
    assert len(jobs) == 1, [(j.kind, j.status, j.requested_by) for j in jobs]
    assert jobs[0].status == JobStatus.failed
    assert "unavailable" in (jobs[0].message or "")


def test_embedded_restart_resumes_an_interrupted_bundled_import(
    tmp_path: Path, settings: Settings
) -> None:
    """`make run` killed during its first import: the next start finishes it, once."""
    database = tmp_path / "kopdes.db"
    env = kopdes_env(
        KOPDES_DATABASE_URL=f"sqlite:///{database}",
        KOPDES_IMPORT_BUNDLED_ON_START="true",
    )
    env.pop("KOPDES_REDIS_URL", None)
    port = free_port()
    local = Database(Settings(database_url=f"sqlite:///{database}"))
    try:
        with kopdes(["serve", "--port", str(port)], env, tmp_path / "a.log") as first:
            wait_http(f"http://127.0.0.1:{port}/healthz")
            deadline = time.monotonic() + 60
            while True:
                with local.sync_session() as session:
                    job = session.execute(
                        select(ImportJob).where(ImportJob.kind == JobKind.villages)
                    ).scalar_one_or_none()
                if job is not None and job.status == JobStatus.running:
                    break
                assert time.monotonic() < deadline, first.output()
                time.sleep(0.05)
            first.kill()
        with local.sync_session() as session:
            interrupted = session.execute(
                select(ImportJob).where(ImportJob.kind == JobKind.villages)
            ).scalar_one()
        assert interrupted.status == JobStatus.running

        with kopdes(["serve", "--port", str(port)], env, tmp_path / "b.log") as second:
            finished = wait_for_job(local, interrupted.id, timeout=240)
            assert finished.status == JobStatus.succeeded, (finished.message, second.output())
        with local.sync_session() as session:
            jobs = (
                session.execute(select(ImportJob).where(ImportJob.kind == JobKind.villages))
                .scalars()
                .all()
            )
            villages = session.execute(
                select(func.count()).select_from(Region).where(Region.level == RegionLevel.village)
            ).scalar_one()
        assert len(jobs) == 1  # resumed, not queued a second time
        assert villages == 83_762
    finally:
        local.sync_engine.dispose()
