"""The Dramatiq broker: Redis in production, in-process in the embedded runtime.

Actors bind to the global broker when they are declared, so ``worker.actors`` calls
:func:`ensure_broker` before declaring any. The same actors run on both brokers. Services in
``shared`` enqueue by actor name (:func:`enqueue`), so they need not import the worker; the
worker that consumes the in-process broker is started by ``worker.embedded``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq
from dramatiq import Broker, Message
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from shared import tracing
from shared.config import Settings, get_settings

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "default"

_lock = threading.Lock()
_broker: Broker | None = None


class BrokerUnavailable(RuntimeError):
    """The broker cannot take a message now (Redis down): the caller should say so clearly."""


def _middleware(settings: Settings, prometheus: bool) -> list[Middleware]:
    middleware: list[Middleware] = [
        AgeLimit(),
        # Imports can legitimately take minutes on the national list.
        TimeLimit(time_limit=60 * 60 * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        # Jobs raise only transient failures (shared.jobs.faults); each is retried with
        # exponential backoff, and the message's ``on_retry_exhausted`` actor ends the job.
        Retries(
            max_retries=settings.job_max_retries,
            min_backoff=settings.job_retry_min_backoff_ms,
            max_backoff=settings.job_retry_max_backoff_ms,
        ),
        CurrentMessage(),
    ]
    if prometheus:
        from dramatiq.middleware.prometheus import Prometheus

        middleware.insert(0, Prometheus())
    return middleware


def build_broker(settings: Settings) -> Broker:
    """A new broker for these settings (not installed as the global one)."""
    if settings.redis_url:
        return RedisBroker(
            url=settings.redis_url,
            namespace=settings.redis_namespace,
            middleware=_middleware(settings, prometheus=settings.worker_metrics),
            # Messages of a killed worker come back after this long without a heartbeat.
            heartbeat_timeout=settings.broker_heartbeat_timeout_ms,
            maintenance_chance=settings.broker_maintenance_chance,
        )
    # The embedded runtime's queue: the same middleware, so the same retries and backoff.
    return StubBroker(middleware=_middleware(settings, prometheus=False))


def ensure_broker(settings: Settings | None = None) -> Broker:
    """Install the broker of the current settings as Dramatiq's global broker, once."""
    global _broker
    with _lock:
        if _broker is None:
            _broker = build_broker(settings or get_settings())
            dramatiq.set_broker(_broker)
        return _broker


def get_broker() -> Broker:
    return ensure_broker()


def enqueue(
    actor_name: str,
    *args: Any,
    queue_name: str = DEFAULT_QUEUE,
    delay_ms: int | None = None,
    **options: Any,
) -> str:
    """Send a message to an actor by name; returns the message id.

    Call it only after the transaction that created what the message refers to has committed.
    """
    broker = get_broker()
    trace = tracing.carrier()  # the job's spans continue the trace of who queued it
    if trace:
        options = {**options, tracing.TRACE_OPTION: trace}
    message: Message[Any] = Message(
        queue_name=queue_name, actor_name=actor_name, args=args, kwargs={}, options=options
    )
    try:
        if queue_name not in broker.get_declared_queues():
            broker.declare_queue(queue_name)
        broker.enqueue(message, delay=delay_ms)
    except Exception as exc:  # redis.ConnectionError and friends
        raise BrokerUnavailable(f"the job queue is unavailable: {exc}") from exc
    return message.message_id


def queue_depths() -> dict[tuple[str, str], int]:
    """Messages in each declared queue: ``(queue, "ready" | "delayed" | "dead") -> count``."""
    broker = get_broker()
    depths: dict[tuple[str, str], int] = {}
    names = sorted({q for q in broker.get_declared_queues() if not q.endswith((".DQ", ".XQ"))})
    for name in names or [DEFAULT_QUEUE]:
        if isinstance(broker, RedisBroker):
            key = f"{broker.namespace}:{name}"
            client = broker.client
            depths[(name, "ready")] = int(client.llen(key))
            depths[(name, "delayed")] = int(client.llen(f"{key}.DQ"))
            depths[(name, "dead")] = int(client.zcard(f"{key}.XQ"))
        elif isinstance(broker, StubBroker):
            ready, delayed = broker.queues.get(name), broker.queues.get(f"{name}.DQ")
            depths[(name, "ready")] = ready.qsize() if ready is not None else 0
            depths[(name, "delayed")] = delayed.qsize() if delayed is not None else 0
            depths[(name, "dead")] = len(broker.dead_letters_by_queue.get(name, []))
    return depths


def ping_broker() -> None:
    """Raise if the broker cannot be reached (used by /readyz).

    In-process, the queue is only worth something while a worker consumes it: a running
    Dramatiq worker leaves a middleware naming itself on its broker.
    """
    broker = get_broker()
    if isinstance(broker, RedisBroker):
        broker.client.ping()
    elif not any(getattr(m, "worker", None) is not None for m in broker.middleware):
        raise BrokerUnavailable("the embedded worker is not running")


def reset_broker() -> None:
    """Forget the global broker (tests switch between brokers). Stop a worker on it first."""
    global _broker
    with _lock:
        if _broker is not None:
            _broker.close()
        _broker = None
