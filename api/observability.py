"""Request ids and the per-route Prometheus metrics (recorded by ``api.access_log``)."""

from __future__ import annotations

import re
import uuid

from prometheus_client import Counter, Histogram
from starlette.types import Scope

REQUESTS = Counter(
    "kopdes_http_requests_total",
    "HTTP requests by method, route and status",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "kopdes_http_request_duration_seconds",
    "HTTP request latency by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10),
)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
KNOWN_ROUTES = {"/graphql", "/healthz", "/readyz", "/metrics"}


def request_id_of(scope: Scope) -> str:
    """The request's id: its ``X-Request-ID`` when sane, else a new one."""
    incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
    return incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex


def observe_route(scope: Scope, status: int, seconds: float) -> None:
    """Count and time an HTTP request by method and route (known routes by name)."""
    route = scope["path"] if scope["path"] in KNOWN_ROUTES else "other"
    method = scope.get("method", "WS")
    LATENCY.labels(method, route).observe(seconds)
    REQUESTS.labels(method, route, str(status)).inc()
