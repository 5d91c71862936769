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
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from shared.audit import Actor
from shared.broker import build_broker
from shared.config import Settings
from shared.db import Database
from shared.jobs.actors import JOB_GAVE_UP, VILLAGE_IMPORT
from shared.jobs.queue import enqueue_job
from shared.models import (
    AuditEntry,
    Edition,
    ImportJob,
    JobKind,
    JobPhase,
    JobStatus,
    Region,
    RegionLevel,
    Role,
)
from shared.villages.bundled import BUNDLED_EDITION, BUNDLED_PATH
from shared.villages.flow import HOOKS
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
def test_jobs_queued_before_a_redis_restart_each_run_once(db: Database, tmp_path: Path) -> None:
    """Distinct dry runs (they do not coalesce, unlike coverage jobs): each one's message
    must survive the restart for its job to run."""
    import_now(db, [DATA / "2022-64"], edition=OLD)
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = Settings(redis_url=server.url, redis_namespace="kopdes-restart")
        broker = build_broker(settings)
        broker.declare_queue("default")
        labels = [f"dry-{i}" for i in range(4)]
        ids = [
            start_village_import(
                db, [DATA / "2025-64"], edition=EditionInfo(label), dry_run=True, enqueue=False
            ).id
            for label in labels
        ]
        for job_id in ids:
            broker.enqueue(
                Message(
                    queue_name="default",
                    actor_name=VILLAGE_IMPORT,
                    args=(job_id,),
                    kwargs={},
                    options={"on_retry_exhausted": JOB_GAVE_UP},
                )
            )
        broker.close()
        server.stop()  # append-only file written on every command
        server.start()
        env = kopdes_env(KOPDES_REDIS_URL=server.url, KOPDES_REDIS_NAMESPACE="kopdes-restart")
        # One thread: village imports run one at a time (a second would be refused).
        with kopdes(["worker", "--processes", "1", "--threads", "1"], env, tmp_path / "w.log") as w:
            finished = [wait_for_job(db, job_id, timeout=120) for job_id in ids]
            log = w.output()
    finally:
        server.stop()
    for job, label in zip(finished, labels, strict=True):
        assert job.status == JobStatus.succeeded, (job.message, log)
        assert job.attempts == 1  # ran, and ran once
        assert job.message.startswith(f"dry run of edition {label}: ")


@needs_postgres
def test_database_connection_cut_during_the_write_phase_is_retried_and_writes_once(
    db: Database, worker: object
) -> None:
    import_now(db, [DATA / "2022-64"], edition=OLD)
    cuts: list[tuple[int, int]] = []  # (job id, backend cut) at each attempt's write phase

    def cut_my_connection(job_id: int, session: Session | None) -> None:
        assert session is not None
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        first = not cuts
        cuts.append((job_id, pid))
        if first:
            with db.sync_engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    HOOKS["writing"].append(cut_my_connection)
    try:
        job = start_village_import(
            db,
            [DATA / "2025-64"],
            edition=EditionInfo(label="2025", decree="Kepmendagri 300.2.2-2138/2025"),
            actor=Actor("test"),
        )
        finished = wait_for_job(db, job.id, timeout=120)
    finally:
        HOOKS["writing"].remove(cut_my_connection)
    assert [j for j, _ in cuts] == [job.id, job.id]  # the write phase, twice
    assert cuts[0][1] != cuts[1][1]  # the second attempt on a new connection
    assert finished.status == JobStatus.succeeded, finished.message
    assert finished.attempts == 2
    assert _villages_and_name(db, "64.02.20") == (1038, "Samboja Barat")
    with db.sync_session() as session:
        codes = session.execute(select(func.count(Region.code.distinct()))).scalar_one()
        rows = session.execute(select(func.count()).select_from(Region)).scalar_one()
        editions = session.execute(select(func.count()).select_from(Edition)).scalar_one()
        retries = (
            session.execute(
                select(AuditEntry.after).where(
                    AuditEntry.operation == "job.retry", AuditEntry.target_id == str(job.id)
                )
            )
            .scalars()
            .all()
        )
    assert codes == rows  # each region once
    assert editions == 2  # 2022 and 2025, the latter once
    assert [r["attempt"] for r in retries] == [1]


@needs_postgres
@needs_redis
def test_a_job_that_starts_while_the_database_refuses_connections_succeeds_after_a_retry(
    db: Database, tmp_path: Path
) -> None:
    """The session's own database (created by this test run) refuses connections for 3 s,
    its connections cut, while a `kopdes worker` takes the job's message."""
    import_now(db, [DATA / "2022-64"], edition=OLD)
    job = start_village_import(
        db, [DATA / "2025-64"], edition=EditionInfo("2025"), dry_run=True, enqueue=False
    )
    url = make_url(db.settings.database_url)
    name = url.database
    admin = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    # Dramatiq's backoffs (jittered): 1-2 s, 2-4 s, 2-4 s; the last retry comes at least 5 s
    # after the first try, well after the 3 s the database refuses connections. (Under the
    # suite's 1 s cap they are 0.5-1 s each: all three could fall inside the 3 s.)
    env = kopdes_env(
        KOPDES_LOG_LEVEL="INFO",
        KOPDES_JOB_RETRY_MIN_BACKOFF_MS="1000",
        KOPDES_JOB_RETRY_MAX_BACKOFF_MS="4000",
    )
    with kopdes(["worker", "--processes", "1", "--threads", "1"], env, tmp_path / "w.log") as w:
        w.wait_for_output("Worker process is ready")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            try:
                cut = conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        " WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
                enqueue_job(VILLAGE_IMPORT, job.id)
                time.sleep(3)
            finally:
                conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()
        finished = wait_for_job(db, job.id, timeout=60)
        log = w.output()
    assert cut >= 1
    assert f"job {job.id} could not be claimed (transient, retried)" in log, log
    assert "not currently accepting connections" in log
    assert finished.status == JobStatus.succeeded, (finished.message, log)
    assert finished.attempts == 1  # the refused tries never claimed it


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
