"""Prometheus metrics of the API: per GraphQL operation, the response cache, jobs and the queue.

Series (docs: README, "Operating Kopdes"; the dashboard: deploy/grafana/kopdes.json):

* ``kopdes_graphql_operations_total{operation,type}``, ``kopdes_graphql_operation_duration_seconds``
  and ``kopdes_graphql_errors_total{operation,type,code}``, counted by ``api.access_log``;
* ``kopdes_graphql_response_cache_total{result}``: hits and misses of the response cache;
* ``kopdes_jobs{kind,status}``: jobs in the database by kind and status, read at scrape time;
* ``kopdes_job_duration_seconds{kind,status}``: how long job runs took (``shared.jobs.runner``);
* ``kopdes_queue_messages{queue,state}``: messages waiting in the broker (ready, delayed, dead).

With several API processes (``kopdes serve --workers N``) each writes its samples to files in
``PROMETHEUS_MULTIPROC_DIR`` (``kopdes serve`` sets it up) and a scrape sums them, whichever
process answers. ``KOPDES_METRICS_PORT`` serves them on a port of their own (and not on the
public one).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from shared.broker import queue_depths
from shared.db import Database
from shared.jobs.store import count_jobs

log = logging.getLogger(__name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

OPERATIONS = Counter(
    "kopdes_graphql_operations",
    "GraphQL operations answered, by operation name and type",
    ["operation", "type"],
)
OPERATION_DURATION = Histogram(
    "kopdes_graphql_operation_duration_seconds",
    "Time to answer a GraphQL operation, by operation name and type",
    ["operation", "type"],
    buckets=DURATION_BUCKETS,
)
ERRORS = Counter(
    "kopdes_graphql_errors",
    "Errors in GraphQL answers (and refusals before GraphQL ran), by extensions.code",
    ["operation", "type", "code"],
)
CACHE = Counter(
    "kopdes_graphql_response_cache",
    "Answers of cacheable queries: from the response cache (hit) or computed (miss)",
    ["result"],
)

# Operation names come from callers: only sane ones become labels, and only so many, so that
# a client inventing names cannot grow the series without bound.
MAX_OPERATION_NAMES = 200
_SANE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_names: set[str] = set()
_names_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if name in _names:  # a set's membership test needs no lock
        return name
    if not _SANE_NAME.match(name):
        return "invalid"
    with _names_lock:
        if name in _names:
            return name
        if len(_names) >= MAX_OPERATION_NAMES:
            return "other"
        _names.add(name)
    return name


# The series' children by labels (bounded as the labels are): ``labels()`` would find the same
# children, checking and joining the labels on every request.
_operations: dict[tuple[str, str], tuple[Counter, Histogram]] = {}
_errors: dict[tuple[str, str, str], Counter] = {}
_cache: dict[str, Counter] = {}


def observe_operation(
    name: str | None,
    operation_type: str | None,
    seconds: float,
    error_codes: Iterable[str],
    cache: str | None,
) -> None:
    label = operation_label(name)
    kind = operation_type or "unknown"
    children = _operations.get((label, kind))
    if children is None:
        children = _operations[label, kind] = (
            OPERATIONS.labels(label, kind),
            OPERATION_DURATION.labels(label, kind),
        )
    children[0].inc()
    children[1].observe(seconds)
    for code in error_codes:
        counter = _errors.get((label, kind, code))
        if counter is None:
            counter = _errors[label, kind, code] = ERRORS.labels(label, kind, code)
        counter.inc()
    if cache in ("hit", "miss"):
        counted = _cache.get(cache)
        if counted is None:
            counted = _cache[cache] = CACHE.labels(cache)
        counted.inc()


class StateCollector(Collector):
    """Jobs by kind and status from the database, and the broker's queues, at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "kopdes_jobs", "Jobs in the database by kind and status", labels=["kind", "status"]
        )
        try:
            for kind, status, count in count_jobs(self.db):
                jobs.add_metric([kind, status], count)
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("metrics: could not count jobs: %s", exc)
        yield jobs
        queue = GaugeMetricFamily(
            "kopdes_queue_messages",
            "Messages in the broker's queues (ready, delayed, dead)",
            labels=["queue", "state"],
        )
        try:
            for (name, state), count in queue_depths().items():
                queue.add_metric([name, state], count)
        except Exception as exc:
            log.warning("metrics: could not read the queue depth: %s", exc)
        yield queue


def build_registry(db: Database) -> CollectorRegistry:
    """What a scrape reads: this process's metrics, or every API process's in multiprocess
    mode, and the database's and broker's state."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = CollectorRegistry()
        registry.register(_Default())
    registry.register(StateCollector(db))
    return registry


class _Default(Collector):
    """This process's own metrics (the global registry), inside a registry of our own."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


async def metrics_endpoint(request: Request) -> Response:
    registry: CollectorRegistry = request.app.state.metrics_registry
    body = await asyncio.to_thread(generate_latest, registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def use_multiprocess_dir() -> Path:
    """Before starting several processes that record metrics: point them at one directory of
    sample files (``PROMETHEUS_MULTIPROC_DIR``, a fresh temporary one unless set), emptied of
    a previous run's files. Processes started afterwards inherit it through the environment
    and must import prometheus_client fresh (spawned, not forked from a process that had)."""
    configured = os.environ.get(MULTIPROC_ENV)
    if configured:
        directory = Path(configured)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    else:
        directory = Path(tempfile.mkdtemp(prefix="kopdes-metrics-"))
        os.environ[MULTIPROC_ENV] = str(directory)
    return directory


def serve_metrics(db: Database, host: str, port: int) -> None:
    """Serve /metrics on a port of its own, from a thread of this process."""
    start_http_server(port, addr=host, registry=build_registry(db))
    log.info("metrics on http://%s:%d/metrics", host, port)
