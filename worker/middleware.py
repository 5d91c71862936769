"""Dramatiq middleware of Kopdes's worker processes: their logging, traces and each message's
context.

``kopdes worker`` runs Dramatiq's command line with ``--skip-logging``; each worker process
configures Kopdes's one logging setup when it boots (:class:`JobContext`), so
``KOPDES_LOG_FORMAT`` and ``KOPDES_LOG_LEVEL`` hold there too, and its tracing when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set. While a job's message is being processed, every line
(Dramatiq's own included) carries the job's id, kind and attempt (the job runner refines the
attempt with the one it claimed), and its spans continue the trace of the request that queued
it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy

from shared import tracing
from shared.config import get_settings
from shared.db import get_database
from shared.jobs.actors import ACTOR_OF
from shared.logs import configure_logging, job_var

KIND_OF_ACTOR = {actor: kind.value for kind, actor in ACTOR_OF.items()}


class JobContext(Middleware):
    def __init__(self) -> None:
        self._spans = threading.local()  # each worker thread's open job span

    def after_process_boot(self, broker: Broker) -> None:
        configure_logging(get_settings())
        if tracing.configure_tracing():
            db = get_database()
            tracing.instrument_engines(db.sync_engine, db.async_engine.sync_engine)

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        kind = KIND_OF_ACTOR.get(message.actor_name)
        args = message.args
        if kind is None or not args:
            return
        attempt = message.options.get("retries", 0) + 1
        job_var.set({"job_id": args[0], "kind": kind, "attempt": attempt})
        span = contextlib.ExitStack()
        span.enter_context(
            tracing.continued(
                f"job {kind}",
                message.options.get(tracing.TRACE_OPTION),
                {"kopdes.job_id": args[0], "kopdes.job_kind": kind, "kopdes.attempt": attempt},
            )
        )
        self._spans.current = span

    def after_process_message(self, broker: Broker, message: MessageProxy, **_: Any) -> None:
        job_var.set(None)
        span: contextlib.ExitStack | None = getattr(self._spans, "current", None)
        if span is not None:
            self._spans.current = None
            span.close()

    after_skip_message = after_process_message
