"""Prometheus metrics: per operation, the response cache, jobs from the database, the queue;
summed across API processes; on a port of their own when configured."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.coverage.flow import recompute_now
from shared.jobs.actors import COVERAGE_RECOMPUTE
from shared.jobs.queue import enqueue_job
from shared.jobs.store import create_job
from shared.models import JobKind, JobStatus
from tests.access.support import app_client
from tests.reliability.processes import RedisServer, free_port, kopdes, kopdes_env, wait_http

Labels = tuple[tuple[str, str], ...]


def samples(text: str) -> dict[tuple[str, Labels], float]:
    """Every sample of a scrape, by name and sorted labels."""
    found: dict[tuple[str, Labels], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: dict[tuple[str, Labels], float], name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, Labels], float]:
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    return samples(answer.text)


async def test_operations_are_counted_by_name_and_type_with_errors_by_code(db: Any) -> None:
    from api.lean import ANSWERS

    ANSWERS.clear()
    name = f"Count{uuid.uuid4().hex[:8]}"
    async with app_client() as client:
        before = await scrape(client)
        for _ in range(3):
            ok = await client.post("/graphql", json={"query": f"query {name} {{ __typename }}"})
            assert ok.status_code == 200
        bad = await client.post("/graphql", json={"query": f"query {name} {{ nothingHere }}"})
        assert bad.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        cached = "query Cached { nationalCoverage { activeVillages } }"
        for _ in range(3):
            assert (await client.post("/graphql", json={"query": cached})).status_code == 200
        after = await scrape(client)
    op = {"operation": name, "type": "query"}
    assert value(after, "kopdes_graphql_operations_total", **op) == 4
    assert value(after, "kopdes_graphql_operation_duration_seconds_count", **op) == 4
    assert value(after, "kopdes_graphql_errors_total", **op, code="GRAPHQL_VALIDATION_FAILED") == 1
    # Both texts are cacheable: each computed once (a miss), then answered twice from the
    # cache; the invalid one never asks the cache.
    hits = "kopdes_graphql_response_cache_total"
    assert value(after, hits, result="miss") - value(before, hits, result="miss") == 2
    assert value(after, hits, result="hit") - value(before, hits, result="hit") == 4


async def test_operation_names_from_callers_cannot_grow_the_series(db: Any) -> None:
    async with app_client() as client:
        for _ in range(2):
            await client.post(
                "/graphql",
                json={"query": "{ __typename }", "operationName": "x" * 200},
            )
        after = await scrape(client)
    assert not any("x" * 65 in str(labels) for _name, labels in after)


async def test_job_gauges_come_from_the_database_and_the_queue_from_the_broker(db: Any) -> None:
    with db.transaction() as session:
        queued = [create_job(session, JobKind.coverage) for _ in range(3)]
        failed = create_job(session, JobKind.villages)
        failed.status = JobStatus.failed
    enqueue_job(COVERAGE_RECOMPUTE, queued[0].id)  # no worker runs: it waits in the queue
    async with app_client() as client:
        scraped = await scrape(client)
    assert value(scraped, "kopdes_jobs", kind="coverage", status="queued") == 3
    assert value(scraped, "kopdes_jobs", kind="villages", status="failed") == 1
    assert value(scraped, "kopdes_jobs", kind="villages", status="queued") == 0
    assert value(scraped, "kopdes_queue_messages", queue="default", state="ready") == 1
    assert value(scraped, "kopdes_queue_messages", queue="default", state="dead") == 0


async def test_job_runs_are_timed_by_kind_and_outcome(db: Any) -> None:
    series = "kopdes_job_duration_seconds_count"
    async with app_client() as client:
        before = value(await scrape(client), series, kind="coverage", status="succeeded")
        job = recompute_now(db, requested_by="test")
        assert job.status == JobStatus.succeeded
        after = value(await scrape(client), series, kind="coverage", status="succeeded")
    assert after - before == 1


async def test_with_a_metrics_port_the_public_port_has_no_metrics(db: Any) -> None:
    async with app_client(metrics_port=free_port()) as client:
        assert (await client.get("/metrics")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


def test_two_api_processes_are_summed_on_the_metrics_port(db: Any, tmp_path: Path) -> None:
    """`kopdes serve --workers 2`: requests land on both processes; one scrape counts all."""
    server = RedisServer(tmp_path)
    server.start()
    port, metrics_port = free_port(), free_port()
    env = kopdes_env(
        KOPDES_REDIS_URL=server.url,
        KOPDES_REDIS_NAMESPACE="kopdes-metrics",
        KOPDES_METRICS_PORT=str(metrics_port),
        KOPDES_LOG_FORMAT="json",
        KOPDES_LOG_LEVEL="INFO",
        KOPDES_RATE_LIMIT_ENABLED="false",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    requests = 40
    try:
        args = ["serve", "--port", str(port), "--workers", "2", "--no-migrate"]
        with kopdes(args, env, tmp_path / "api.log"):
            wait_http(f"http://127.0.0.1:{port}/healthz")
            wait_http(f"http://127.0.0.1:{metrics_port}/metrics")
            # /healthz answers once one process is up; on a loaded machine the other may start
            # seconds later and would take none of the requests.
            _wait_for_started_processes(tmp_path / "api.log", 2)
            for _ in range(requests):
                # A connection each, so that both processes take some.
                answer = httpx.post(
                    f"http://127.0.0.1:{port}/graphql",
                    json={"query": "query Summed { __typename }"},
                    headers={"Connection": "close"},
                    timeout=10,
                )
                assert answer.status_code == 200
            public = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
            scraped = samples(httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text)
    finally:
        server.stop()
    assert public.status_code == 404
    log = (tmp_path / "api.log").read_text()
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    served = [r for r in lines if r["logger"] == "kopdes.access" and r.get("path") == "/graphql"]
    assert len(served) == requests
    assert len({r["pid"] for r in served}) == 2, "both processes answered"
    op = {"operation": "Summed", "type": "query"}
    assert value(scraped, "kopdes_graphql_operations_total", **op) == requests
    assert value(scraped, "kopdes_graphql_operation_duration_seconds_count", **op) == requests


def _wait_for_started_processes(log: Path, count: int, timeout: float = 120) -> None:
    """Until ``count`` uvicorn processes have logged that their application started."""
    deadline = time.monotonic() + timeout
    while True:
        started = {
            record["pid"]
            for line in log.read_text().splitlines()
            if line.startswith("{")
            and (record := json.loads(line)).get("message") == "Application startup complete."
        }
        if len(started) >= count:
            return
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
