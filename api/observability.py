"""Request ids and the per-route Prometheus metrics (recorded by ``api.access_log``)."""

from __future__ import annotations

import re
from random import getrandbits

from prometheus_client import Counter, Histogram
from starlette.types import Scope

from api.scope import headers_of

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
    """The request's id: its ``X-Request-ID`` when sane, else a new one: 128 random bits in
    32 hex digits like ``uuid4().hex``, from the process's generator (reseeded in a forked
    worker) rather than a system call per request; an id is a label, not a secret."""
    incoming = headers_of(scope).get(b"x-request-id")
    if incoming is not None:
        text = incoming.decode("latin-1")
        if _VALID_REQUEST_ID.match(text):
            return text
    return f"{getrandbits(128):032x}"


# The series' children by labels: ``labels()`` finds the same child each time, at the cost
# of checking and joining the labels on every request.
_latency: dict[tuple[str, str], Histogram] = {}
_requests: dict[tuple[str, str, int], Counter] = {}


def observe_route(scope: Scope, status: int, seconds: float) -> None:
    """Count and time an HTTP request by method and route (known routes by name)."""
    path = scope["path"]
    route = path if path in KNOWN_ROUTES else "other"
    method = scope.get("method", "WS")
    timer = _latency.get((method, route))
    if timer is None:
        timer = _latency[method, route] = LATENCY.labels(method, route)
    timer.observe(seconds)
    counter = _requests.get((method, route, status))
    if counter is None:
        counter = _requests[method, route, status] = REQUESTS.labels(method, route, str(status))
    counter.inc()
