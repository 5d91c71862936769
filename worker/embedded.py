"""The embedded runtime's worker: a real Dramatiq worker in threads of this process.

Without Redis, jobs go to the in-process broker, and only a worker in the same process can
take them: ``kopdes serve`` runs one beside the API, a CLI command one of its own (which runs
its job, and the coverage recalculation after it, to the end before the command exits).
The serving process also picks up, every ``POLL_SECONDS``, the queued job rows that no message
of its own carries (``shared.jobs.queue.pick_up_queued``): jobs another process accepted and
could not finish, so that every accepted job runs.
"""

from __future__ import annotations

import logging
import threading

from dramatiq import Worker

from shared.broker import ensure_broker
from shared.db import get_database
from shared.jobs.queue import pick_up_queued

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0

_lock = threading.Lock()
_worker: Worker | None = None
_poller: _Poller | None = None


class _Poller(threading.Thread):
    """Sends the queued jobs of other processes to this process's worker."""

    def __init__(self) -> None:
        super().__init__(name="embedded-job-pickup", daemon=True)
        self._stopped = threading.Event()

    def run(self) -> None:
        db = get_database()
        while not self._stopped.wait(POLL_SECONDS):
            try:
                pick_up_queued(db)
            except Exception:  # the next round tries again
                log.warning("could not pick up queued jobs", exc_info=True)

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)


def start(threads: int, *, pick_up: bool = False) -> Worker:
    """Start the worker on the current broker (once; later calls return it); with
    ``pick_up`` (the serving process) also the pick-up of other processes' queued jobs."""
    global _worker, _poller
    import worker.actors  # noqa: F401  (declares the actors on the broker)

    with _lock:
        if _worker is None:
            _worker = Worker(ensure_broker(), worker_threads=threads, worker_timeout=100)
            _worker.start()
            log.info("embedded worker started with %d threads", threads)
        if pick_up and _poller is None:
            _poller = _Poller()
            _poller.start()
        return _worker


def running() -> bool:
    """Whether this process runs the embedded worker now."""
    return _worker is not None


def stop() -> None:
    global _worker, _poller
    with _lock:
        running, _worker = _worker, None
        poller, _poller = _poller, None
    if poller is not None:
        poller.stop()
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
        start(self.threads, pick_up=True)

    def stop(self) -> None:
        stop()
