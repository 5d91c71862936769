"""The Kopdes API as ``kopdes serve`` runs it, for the benchmark, plus two things it needs.

    python -m benchmarks.kopdes_server --port 8765            # the real app
    python -m benchmarks.kopdes_server --port 8766 --stock    # Strawberry's stock ASGI view

The real app is built by ``create_app`` and served by uvicorn with ``kopdes serve``'s options
(one process, no embedded worker: the benchmark measures the API, and production runs its
workers elsewhere). Added, outside ``/graphql`` so no middleware of the API treats it:

* ``POST /__bench__/statements`` starts recording the SQL the app sends (an SQLAlchemy
  ``before_cursor_execute`` listener on the app's engine and ``api.plans.STATEMENT_HOOKS`` for
  compiled plans, recording only while switched on),
  ``DELETE`` stops and returns them with their parameters, and the connection checkouts
  that cost a pre-ping round trip each. The benchmark records one request of each scenario
  this way and prints the EXPLAIN ANALYZE of each statement. The app's code
  is untouched; the listener's cost while off is one attribute test per statement.

``--stock`` serves the same schema through ``strawberry.asgi.GraphQL`` as it ships: no
middleware, no response cache, Strawberry's own JSON handling; only ``get_context`` is the
app's, so the resolvers get the context they need (an anonymous caller here).

Only this module imports the app's internals, so a move of modules in ``api/`` is fixed here.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

HOST = "127.0.0.1"


class StatementRecorder:
    def __init__(self, pre_ping: bool) -> None:
        self.active = False
        self.pre_ping = pre_ping
        self.statements: list[dict[str, Any]] = []

    def checkout(self, *_args: Any) -> None:
        # With pool_pre_ping every checkout first sends a liveness query straight through the
        # driver, which no statement event sees: recorded here as the round trip it is.
        if self.active and self.pre_ping:
            self.statements.append({"checkout": True})

    def before_cursor_execute(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if self.active:
            self.statements.append(
                {"statement": statement, "parameters": parameters, "executemany": executemany}
            )

    async def endpoint(self, request: Request) -> Response:
        if request.method == "POST":
            self.statements = []
            self.active = True
            return JSONResponse({"recording": True})
        self.active = False
        recorded, self.statements = self.statements, []
        # Parameters as JSON: datetimes and enums become text, which PostgreSQL casts back
        # from the statement's context when the benchmark runs EXPLAIN with them.
        return Response(json.dumps(recorded, default=str), media_type="application/json")


def kopdes_app() -> Any:
    from sqlalchemy import event

    from api.app import create_app
    from api.plans import STATEMENT_HOOKS
    from shared.config import get_settings
    from shared.logs import configure_logging

    settings = get_settings()
    configure_logging(settings)
    app = create_app(settings, start_embedded_worker=False)
    engine = app.state.db.async_engine.sync_engine
    recorder = StatementRecorder(pre_ping=bool(getattr(engine.pool, "_pre_ping", False)))
    event.listen(engine, "before_cursor_execute", recorder.before_cursor_execute)
    event.listen(engine, "checkout", recorder.checkout)
    # Compiled plans (api.plans) run on connections of their own: recorded through its hook.
    STATEMENT_HOOKS.append(
        lambda sql, params: recorder.before_cursor_execute(None, None, sql, params, None, False)
    )
    app.router.routes.append(
        Route("/__bench__/statements", recorder.endpoint, methods=["POST", "DELETE"])
    )
    return app


def stock_view_app() -> Any:
    from strawberry.asgi import GraphQL

    from api.app import KopdesGraphQL
    from api.context import Context
    from api.schema import schema
    from shared.db import get_database

    class StockView(GraphQL[Context, None]):
        # The context the app's own view gives its resolvers (database, caller, loaders).
        get_context = KopdesGraphQL.get_context

        def __init__(self) -> None:
            super().__init__(schema, graphql_ide=None)
            self.db = get_database()

    view = StockView()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/healthz":
            await JSONResponse({"status": "ok"})(scope, receive, send)
            return
        await view(scope, receive, send)

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stock", action="store_true", help="Strawberry's stock ASGI view")
    args = parser.parse_args()
    app = stock_view_app() if args.stock else kopdes_app()
    # As `kopdes serve`: uvicorn's defaults (uvloop and httptools when installed).
    uvicorn.run(app, host=HOST, port=args.port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
