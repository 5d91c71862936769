"""The Starlette application: /graphql (and its downloads), /healthz, /readyz, /metrics,
the /console page, and export downloads (/exports/{id})."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any, Protocol

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UnsetType
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.access_log import AccessLogMiddleware
from api.auth import AccessMiddleware, principal_from_params, principal_of
from api.body_limit import BodyLimitMiddleware
from api.browsers import Compression, Cors
from api.console import console_routes
from api.context import Context
from api.downloads import download_routes
from api.exports import export_routes
from api.graphiql import assets_route, graphiql_page
from api.http import GraphQLHTTP
from api.lean import LeanGraphQL
from api.metrics import build_registry, metrics_endpoint
from api.schema import schema
from api.scope import headers_of
from api.tracing import trace_app
from shared.access import keys
from shared.access.ratelimit import build_rate_limiter
from shared.broker import ensure_broker, ping_broker
from shared.config import Settings, get_settings
from shared.db import Database, get_database

log = logging.getLogger(__name__)


class KopdesGraphQL(GraphQLHTTP):
    def __init__(self, db: Database, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
            multipart_uploads_enabled=True,
        )
        self.db = db

    async def render_graphql_ide(self, request: Request) -> Response:
        # Kopdes's own page and assets instead of Strawberry's, which load from a CDN.
        return graphiql_page()

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket | None
    ) -> Context:
        return Context(
            request=request,
            response=response if isinstance(response, Response) else None,
            db=self.db,
            principal=principal_of(request.scope),
            request_id=request.scope.get("state", {}).get("request_id"),
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A key in ``connection_init``'s payload authenticates the connection (browsers
        cannot send an Authorization header on a websocket); a bad one closes it (4403)."""
        try:
            context.principal = await principal_from_params(
                self.db, context.connection_params, context.principal
            )
        except keys.InvalidToken as exc:
            raise ConnectionRejectionError({"message": f"Unauthenticated: {exc.reason}."}) from None
        return await super().on_ws_connect(context)


class GraphQLFirst:
    """The innermost middleware: the requests of the lean path (``GET`` and JSON ``POST`` on
    ``/graphql``, nearly all of the API's traffic) go straight to it, without Starlette's
    exception middleware and router between (their routing gives the same endpoint). The
    rest go the router's way: the websocket, ``HEAD`` and other methods (405), multipart
    uploads (whose malformed bodies the exception middleware answers with 400), other paths.
    """

    def __init__(self, app: ASGIApp, path: str, endpoint: ASGIApp) -> None:
        self.app = app
        self.path = path
        self.endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == self.path
            and not scope.get("root_path")
            and (
                scope["method"] == "GET"
                or (
                    scope["method"] == "POST"
                    and headers_of(scope).get(b"content-type", b"").startswith(b"application/json")
                )
            )
        ):
            scope["endpoint"] = self.endpoint
            scope["path_params"] = {}
            await self.endpoint(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def healthz(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    db: Database = request.app.state.db
    problems: dict[str, str] = {}
    try:
        async with db.async_engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=5)
    except Exception as exc:
        problems["database"] = f"unreachable: {type(exc).__name__}: {exc}"
    try:
        await asyncio.wait_for(asyncio.to_thread(ping_broker), timeout=5)
    except Exception as exc:
        problems["broker"] = f"unreachable: {type(exc).__name__}: {exc}"
    if problems:
        return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok", "broker": "ok"})


class InProcessWorker(Protocol):
    """A worker that runs in this process (the embedded runtime's), started with the app."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@functools.cache
def _freeze_startup_objects() -> None:
    """Keep what the process built to serve (modules, the schema, its types: ~160,000
    objects) out of the garbage collector's full passes: they live as long as the process,
    and each full pass over them stopped every request in flight for ~85 ms (twice in six
    seconds of profile requests on the benchmark machine; the p99 was those stops). Once a
    process."""
    gc.collect()
    gc.freeze()


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    *,
    start_embedded_worker: bool | None = None,
    embedded_worker: InProcessWorker | None = None,
) -> Starlette:
    """Build the ASGI app.

    ``embedded_worker`` (given by the composition root, the CLI) runs for the app's lifespan
    when ``start_embedded_worker`` says so, by default in the embedded runtime.
    """
    settings = settings or get_settings()
    db = db or get_database()
    ensure_broker(settings)
    start = settings.embedded if start_embedded_worker is None else start_embedded_worker
    background = embedded_worker if start else None
    limiter = build_rate_limiter(settings)
    graphql_app = KopdesGraphQL(db, settings)
    lean = LeanGraphQL(graphql_app, db, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if background is not None:
            background.start()
        _freeze_startup_objects()
        try:
            yield {}
        finally:
            await limiter.close()
            await lean.close()
            if background is not None:
                await asyncio.to_thread(background.stop)

    app = Starlette(
        routes=[
            Route("/graphql", lean, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql_app),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            # With KOPDES_METRICS_PORT the metrics have a port of their own (`kopdes serve`).
            *([Route("/metrics", metrics_endpoint)] if settings.metrics_port is None else []),
            *([assets_route()] if settings.graphiql else []),
            *console_routes(),
            *download_routes(),
            *export_routes(),
        ],
        lifespan=lifespan,
    )
    # Last added runs first: the client's address (behind a trusted proxy), the request id,
    # metrics and access line (one middleware), CORS (refusals carry its headers too), compression,
    # then body size, then keys and rate limits, then the lean path's own way to it.
    app.add_middleware(GraphQLFirst, path="/graphql", endpoint=lean)
    app.add_middleware(AccessMiddleware, db=db, settings=settings, limiter=limiter)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(Compression)
    app.add_middleware(Cors, settings=settings)
    app.add_middleware(AccessLogMiddleware)
    trusted = trusted_proxies(settings)
    if trusted:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted)
    trace_app(app, db)
    app.state.db = db
    app.state.settings = settings
    app.state.metrics_registry = build_registry(db)
    return app


def trusted_proxies(settings: Settings) -> list[str]:
    """The peers whose X-Forwarded-For is believed (uvicorn's ProxyHeadersMiddleware does the
    reading: the client is the last address not a trusted proxy)."""
    return [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]


def app_factory() -> Starlette:
    """The app of one of several API processes (``kopdes serve --workers N``)."""
    from shared.logs import configure_logging

    settings = get_settings()
    configure_logging(settings)
    return create_app(settings)
