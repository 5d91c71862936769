"""The embedded runtime's worker: a real Dramatiq worker in threads of this process.

Without Redis, jobs go to the in-process broker, and only a worker in the same process can
take them: ``kopdes serve`` runs one beside the API, ``kopdes import villages`` one of its own.
"""

from __future__ import annotations

import logging
import threading

from dramatiq import Worker

from shared.broker import ensure_broker

log = logging.getLogger(__name__)

_lock = threading.Lock()
_worker: Worker | None = None


def start(threads: int) -> Worker:
    """Start the worker on the current broker (once; later calls return it)."""
    global _worker
    import worker.actors  # noqa: F401  (declares the actors on the broker)

    with _lock:
        if _worker is None:
            _worker = Worker(ensure_broker(), worker_threads=threads, worker_timeout=100)
            _worker.start()
            log.info("embedded worker started with %d threads", threads)
        return _worker


def stop() -> None:
    global _worker
    with _lock:
        running, _worker = _worker, None
    if running is not None:
        running.stop(timeout=10_000)
        # A stopped worker leaves its middleware on the broker, which would start consumers
        # for it on queues declared later (and make the broker look consumed); take it off.
        running.broker.middleware[:] = [
            m for m in running.broker.middleware if getattr(m, "worker", None) is not running
        ]


class EmbeddedWorker:
    """The worker as the API app starts and stops it with its lifespan."""

    def __init__(self, threads: int) -> None:
        self.threads = threads

    def start(self) -> None:
        start(self.threads)

    def stop(self) -> None:
        stop()
