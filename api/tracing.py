"""The API's part of tracing (``shared.tracing``): a span per request, GraphQL's own spans.

Both cost nothing when tracing is off: the app is not wrapped, and the schema extension is a
plain one with no hooks.
"""

from __future__ import annotations

from starlette.applications import Starlette
from strawberry.extensions import SchemaExtension

from shared import tracing
from shared.db import Database


def graphql_tracing() -> SchemaExtension:
    """Strawberry's OpenTelemetry extension while tracing is on (made per operation)."""
    if not tracing.active():
        return SchemaExtension()
    from strawberry.extensions.tracing import OpenTelemetryExtension

    return OpenTelemetryExtension()


def trace_app(app: Starlette, db: Database) -> None:
    """When tracing is on: a span per request (outermost middleware), and the database's
    statements traced."""
    if not tracing.configure_tracing():
        return
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    tracing.instrument_engines(db.sync_engine, db.async_engine.sync_engine)
    StarletteInstrumentor.instrument_app(app)
