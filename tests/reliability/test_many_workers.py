"""Two `kopdes worker` processes on one Redis share a queue; each job runs once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from shared.audit import Actor
from shared.db import Database
from shared.jobs.actors import REGISTRY_IMPORT as COOPERATIVE_IMPORT
from shared.jobs.queue import enqueue_job
from shared.models import Cooperative, JobStatus
from shared.registry.service import start_cooperative_import
from shared.villages.service import EditionInfo, import_now
from tests.reliability.processes import kopdes, kopdes_env
from tests.support import needs_postgres, needs_redis, wait_for_job

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
KALTIM_REGISTRY = ROOT / "shared" / "data" / "kaltim" / "cooperatives.csv"


@needs_postgres
@needs_redis
def test_two_worker_processes_share_a_queue_and_run_each_job_once(
    db: Database, tmp_path: Path
) -> None:
    import_now(db, [DATA / "wilayah" / "2025-64"], edition=EditionInfo(label="2025"))
    # Sixteen one-cooperative registry files from the Kaltim reference set: sixteen jobs.
    header, *rows = KALTIM_REGISTRY.read_text().splitlines()
    files = []
    for i, row in enumerate(rows[:16]):
        path = tmp_path / f"registry-{i}.csv"
        path.write_text(f"{header}\n{row}\n")
        files.append(path)
    # INFO: Dramatiq says when a worker process consumes ("ready for action").
    env = kopdes_env(KOPDES_LOG_LEVEL="INFO")
    with (
        kopdes(["worker", "--processes", "1", "--threads", "2"], env, tmp_path / "a.log") as a,
        kopdes(["worker", "--processes", "1", "--threads", "2"], env, tmp_path / "b.log") as b,
    ):
        # Both consume before the first job is sent: on a loaded machine one process can take
        # seconds longer to start, and the other would have run all sixteen jobs by then.
        for worker in (a, b):
            worker.wait_for_output("Worker process is ready")
        ids = [start_cooperative_import(db, path, Actor("test")).id for path in files]
        for job_id in ids:
            # The same message again, as a redelivery would send it: still one run.
            enqueue_job(COOPERATIVE_IMPORT, job_id)
        finished = [wait_for_job(db, job_id, timeout=120) for job_id in ids]
        logs = a.output() + b.output()
    assert [job.status for job in finished] == [JobStatus.succeeded] * len(ids), [
        job.message for job in finished
    ]
    assert [job.attempts for job in finished] == [1] * len(ids)
    workers = {job.worker_id for job in finished}
    assert len(workers) == 2, f"only {workers} took jobs: {logs}"
    with db.sync_session() as session:
        cooperatives = session.execute(select(func.count()).select_from(Cooperative)).scalar_one()
    assert cooperatives == len(files)
