"""One access line per request, and the request's GraphQL metrics, as pure ASGI middleware.

The line (logger ``kopdes.access``) says who asked what and how it went: request id, client
address, the key's prefix and role (never its token), the GraphQL operation's name and type,
status, duration, whether the response cache answered, the estimated cost.

What GraphQL did is read from one dict per request, ``scope["state"]["graphql"]``
(:func:`graphql_record`), which the GraphQL execution path fills as it learns it:

=================  ===========================================================
``operation_name`` the operation's name (``None`` for an anonymous operation)
``operation_type`` ``query``, ``mutation`` or ``subscription``
``cost``           the estimated cost (``api.guards``), when it was estimated
``cache``          ``"hit"`` or ``"miss"`` when the response cache was asked
``error_codes``    ``extensions.code`` of each error in the answer
``plan``           ``"compiled"`` when a compiled plan answered (``api.plans``)
=================  ===========================================================
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from api import metrics, observability
from api.auth import PRINCIPAL_STATE, client_address
from shared.logs import request_id_var

log = logging.getLogger("kopdes.access")

GRAPHQL_STATE = "graphql"
# Probes and scrapes come every few seconds: their lines are DEBUG, so INFO shows traffic.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# Refusals answered before GraphQL runs, by status (api.auth, api.body_limit).
REFUSAL_CODES = {401: "UNAUTHENTICATED", 413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED"}


def graphql_record(scope: Scope) -> dict[str, Any]:
    """The request's GraphQL record (created empty on first use)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    record: dict[str, Any] = state.setdefault(GRAPHQL_STATE, {})
    return record


class AccessLogMiddleware:
    """The one middleware that watches a request: it gives it an id (``X-Request-ID`` kept
    when sane, echoed in the answer), times it once, and then records the route metrics, the
    operation metrics and the access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            await self.app(scope, receive, send)
            return
        request_id = observability.request_id_of(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        if GRAPHQL_STATE not in state:
            state[GRAPHQL_STATE] = {}
        token = request_id_var.set(request_id)
        echoed = (b"x-request-id", request_id.encode())
        status = 101 if kind == "websocket" else 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            elif message["type"] == "websocket.close":
                status = 1000 if status == 101 else status
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            request_id_var.reset(token)
            seconds = time.perf_counter() - started
            if kind == "http":
                observability.observe_route(scope, status, seconds)
            self._record(scope, status, seconds)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        state = scope["state"]
        graphql = state.get(GRAPHQL_STATE) or {}
        codes = graphql.get("error_codes")
        if not codes and status in REFUSAL_CODES:
            codes = [REFUSAL_CODES[status]]
        operation_type = graphql.get("operation_type")
        if operation_type is not None or codes:
            metrics.observe_operation(
                graphql.get("operation_name"),
                operation_type,
                seconds,
                codes or (),
                graphql.get("cache"),
            )
        path = scope["path"]
        level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        if not log.isEnabledFor(level):
            return  # the line would be thrown away: not worth making
        principal = state.get(PRINCIPAL_STATE)
        fields: dict[str, Any] = {
            "request_id": state.get("request_id"),
            "method": scope.get("method", "WS"),
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "client": client_address(scope),
            "role": principal.role.value if principal is not None else None,
            "key_prefix": getattr(principal, "key_prefix", None),
            "operation_name": graphql.get("operation_name"),
            "operation_type": operation_type,
            "cache": graphql.get("cache"),
            "cost": graphql.get("cost"),
            "plan": graphql.get("plan"),
            "error_codes": list(codes) if codes else None,
        }
        keys = ("operation_type", "operation_name", "role", "key_prefix", "cache", "cost", "plan")
        described = " ".join(f"{key}={fields[key]}" for key in keys if fields[key] is not None)
        log.log(
            level,
            "%s %s %s %.1fms client=%s%s",
            fields["method"],
            path,
            status,
            fields["duration_ms"],
            fields["client"],
            f" {described}" if described else "",
            extra=fields,
        )


class RecordOperation(SchemaExtension):
    """Writes the operation's name and type into the request's record once it is parsed
    (whether or not it then validates and runs)."""

    def on_operation(self) -> Iterator[None]:
        yield
        execution = self.execution_context
        request = getattr(execution.context, "request", None)
        if request is None:
            return
        record = graphql_record(request.scope)
        record["operation_name"] = execution.operation_name
        if execution.graphql_document is not None:
            with contextlib.suppress(RuntimeError):
                record["operation_type"] = execution.operation_type.value
