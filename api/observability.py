"""Request ids and Prometheus metrics, as pure ASGI middleware (no per-request task hops)."""

from __future__ import annotations

import re
import time
import uuid

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.logs import request_id_var

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


class RequestContextMiddleware:
    """Give every request an id (kept from ``X-Request-ID`` when sane) and measure it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        route = scope["path"] if scope["path"] in KNOWN_ROUTES else "other"
        method = scope.get("method", "WS")
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            request_id_var.reset(token)
            if scope["type"] == "http":
                LATENCY.labels(method, route).observe(time.perf_counter() - started)
                REQUESTS.labels(method, route, str(status)).inc()
