"""An actor sent from an API request runs on a real worker: in-process, and `kopdes worker`."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import urllib.request

import httpx
import pytest

from shared.access.keys import create_key
from shared.audit import Actor
from shared.config import Settings
from shared.db import Database
from shared.models import Role
from tests.support import TEST_REDIS_URL, embedded_only, gql, needs_redis, wait_for_job

RECOMPUTE = "mutation { recomputeCoverage { job { databaseId status kind } } }"


def _operations(db: Database) -> dict[str, str]:
    """Recalculation needs an operations key (see the role table in api.permissions)."""

    with db.transaction() as session:
        issued = create_key(session, Actor(name="test"), name="ops", role=Role.operations)
    return {"Authorization": f"Bearer {issued.token}"}


async def test_api_mutation_runs_on_the_in_process_worker(
    client: httpx.AsyncClient, db: Database, worker: object
) -> None:
    body = await gql(client, RECOMPUTE, headers=_operations(db))
    job = body["data"]["recomputeCoverage"]["job"]
    assert job["kind"] == "coverage"
    assert job["status"] == "queued"
    finished = wait_for_job(db, int(job["databaseId"]))
    assert finished.status == "succeeded", finished.message
    assert finished.attempts == 1


@embedded_only
def test_worker_command_refuses_to_start_without_redis() -> None:
    env = {k: v for k, v in os.environ.items() if k != "KOPDES_REDIS_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "KOPDES_REDIS_URL" in result.stdout + result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@needs_redis
async def test_api_mutation_runs_on_a_kopdes_worker_process(
    client: httpx.AsyncClient, db: Database, settings: Settings
) -> None:
    assert TEST_REDIS_URL is not None
    metrics_port = _free_port()
    env = {
        **os.environ,
        "KOPDES_WORKER_METRICS": "true",
        "dramatiq_prom_port": str(metrics_port),
        "dramatiq_prom_db": str(os.environ.get("TMPDIR", "/tmp")) + f"/kopdes-prom-{metrics_port}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker", "--processes", "1", "--threads", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = await gql(client, RECOMPUTE, headers=_operations(db))
        job_id = int(body["data"]["recomputeCoverage"]["job"]["databaseId"])
        finished = wait_for_job(db, job_id, timeout=90)
        assert finished.status == "succeeded", finished.message
        # The worker exports Dramatiq's metrics.
        deadline = time.monotonic() + 30
        text = ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/") as r:
                    text = r.read().decode()
                if "dramatiq_messages_total" in text:
                    break
            except OSError:
                pass
            await asyncio.sleep(0.5)
        assert "dramatiq_messages_total" in text
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("kopdes worker did not stop within 30 s of SIGTERM")
