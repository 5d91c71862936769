"""Traces, with OpenTelemetry when it is installed (the optional ``kopdes[otel]`` extra).

Off unless ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (spans then go out over OTLP/HTTP; the
standard ``OTEL_*`` variables name the service, headers, sampling...), or a test hands
:func:`configure_tracing` an exporter of its own. Without the extra every function here is a
cheap no-op, so the rest of the code calls them unconditionally.

What is traced: each HTTP request (the API wraps itself, ``api.tracing``), GraphQL's parse,
validation and resolvers (Strawberry's extension), every SQL statement of the engines
given to :func:`instrument_engines`, Redis commands; and each job: the request that queued it puts
its trace context in the message (:func:`carrier`), and the worker continues that trace
(:func:`continued`), so one trace shows an upload, its job and the job's statements.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

log = logging.getLogger(__name__)

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SERVICE_NAME = "kopdes"
# The message option that carries the queuing request's trace context to the worker.
TRACE_OPTION = "trace_context"

_lock = threading.Lock()
_active = False
_instrumented: set[int] = set()


def installed() -> bool:
    try:
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


def active() -> bool:
    """Whether spans are being recorded and exported in this process."""
    return _active


def configure_tracing(exporter: Any | None = None) -> bool:
    """Set up this process's tracer provider, once; returns whether tracing is on.

    With ``exporter`` (tests: an ``InMemorySpanExporter``) spans go there, synchronously;
    otherwise to the OTLP endpoint of ``OTEL_EXPORTER_OTLP_ENDPOINT``, in batches.
    """
    global _active
    if exporter is None and not os.environ.get(ENDPOINT_ENV):
        return _active
    if not installed():
        log.warning(
            "%s is set but opentelemetry is not installed: pip install 'kopdes[otel]'", ENDPOINT_ENV
        )
        return False
    from opentelemetry import trace
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    with _lock:
        provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            provider = TracerProvider(
                resource=Resource.create(
                    {"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)}
                )
            )
            trace.set_tracer_provider(provider)
        if exporter is not None:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        elif not _active:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        if not _active:
            RedisInstrumentor().instrument()
        _active = True
    return True


def instrument_engines(*engines: Any) -> None:
    """Spans for the statements of these SQLAlchemy engines (sync ones: an async engine's
    ``sync_engine``), each once."""
    if not _active:
        return
    from opentelemetry import metrics, trace
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer

    tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    usage = metrics.get_meter("opentelemetry.instrumentation.sqlalchemy").create_up_down_counter(
        "db.client.connections.usage", unit="connections"
    )
    with _lock:
        for engine in engines:
            if id(engine) not in _instrumented:
                _instrumented.add(id(engine))
                EngineTracer(tracer, engine, usage)  # type: ignore[no-untyped-call]


def carrier() -> dict[str, str]:
    """The current trace context, to send along with a job's message (empty when off)."""
    if not _active:
        return {}
    from opentelemetry.propagate import inject

    found: dict[str, str] = {}
    inject(found)
    return found


@contextlib.contextmanager
def continued(
    name: str, context: Mapping[str, str] | None, attributes: Mapping[str, Any]
) -> Iterator[None]:
    """A span of this name, continuing the trace of ``context`` (from :func:`carrier`)."""
    if not _active:
        yield
        return
    from opentelemetry import trace
    from opentelemetry.propagate import extract

    tracer = trace.get_tracer("kopdes.jobs")
    parent = extract(dict(context or {}))
    with tracer.start_as_current_span(
        name, context=parent, kind=trace.SpanKind.CONSUMER, attributes=dict(attributes)
    ):
        yield


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any]) -> Iterator[None]:
    """A span of this name in the current trace (nothing when tracing is off)."""
    if not _active:
        yield
        return
    from opentelemetry import trace

    with trace.get_tracer("kopdes").start_as_current_span(name, attributes=dict(attributes)):
        yield


def stop_tracing() -> None:
    """Stop recording and exporting in this process (tests, after their traced part)."""
    global _active
    if not _active:
        return
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    with _lock:
        provider = trace.get_tracer_provider()
        if isinstance(provider, TracerProvider):
            provider.shutdown()
        _active = False
