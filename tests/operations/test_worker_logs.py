"""`kopdes worker` processes log through Kopdes's configuration: JSON lines with the job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dramatiq import Message

from shared.broker import build_broker
from shared.config import Settings
from shared.jobs.actors import COVERAGE_RECOMPUTE, JOB_GAVE_UP
from shared.jobs.store import create_job
from shared.models import JobKind, JobStatus
from tests.reliability.processes import RedisServer, kopdes, kopdes_env
from tests.support import wait_for_job


def test_worker_processes_write_json_lines_that_carry_the_job(db: Any, tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        settings = Settings(redis_url=server.url, redis_namespace="kopdes-logs")
        broker = build_broker(settings)
        broker.declare_queue("default")
        with db.transaction() as session:
            job_id = create_job(session, JobKind.coverage).id
        broker.enqueue(
            Message(
                queue_name="default",
                actor_name=COVERAGE_RECOMPUTE,
                args=(job_id,),
                kwargs={},
                options={"on_failure": JOB_GAVE_UP},
            )
        )
        broker.close()
        env = kopdes_env(
            KOPDES_REDIS_URL=server.url,
            KOPDES_REDIS_NAMESPACE="kopdes-logs",
            KOPDES_LOG_FORMAT="json",
            KOPDES_LOG_LEVEL="INFO",
        )
        with kopdes(["worker", "--processes", "1", "--threads", "1"], env, tmp_path / "w.log") as w:
            finished = wait_for_job(db, job_id, timeout=90)
        assert finished.status == JobStatus.succeeded, w.output()
        output = (tmp_path / "w.log").read_text()
    finally:
        server.stop()
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "the worker wrote nothing"
    # Every line is one JSON object: none in Dramatiq's own text format.
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message", "pid"} <= set(r) for r in records), lines
    # Dramatiq's own lines come through the same configuration...
    assert any(r["logger"].startswith("dramatiq") for r in records), lines
    # ...and the worker process's job lines say which job, kind and attempt they belong to.
    mine = [r for r in records if r.get("job_id") == job_id]
    assert [r["message"] for r in mine][:1] == ["coverage recalculation started"], lines
    assert mine[-1]["message"].startswith("coverage recalculation succeeded in"), lines
    assert {(r["kind"], r["attempt"]) for r in mine} == {("coverage", 1)}
    parent = records[0]["pid"]
    assert {r["pid"] for r in mine} != {parent}, "job lines come from a worker process"
