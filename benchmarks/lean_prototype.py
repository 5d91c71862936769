"""PROTOTYPE (issue #12, item 1): GraphQL queries executed by graphql-core directly on the
Strawberry schema, measured against Strawberry's view by ``benchmarks.lean_bench``.

    python -m benchmarks.lean_prototype --port 8770

Not the implementation: a measured sketch for the engineer who builds the lean path in
``api/`` (findings in ``docs/serving-path-notes.md``). It serves the real app built by
``create_app`` (same middleware: request id and metrics, body limit, API keys and rate
limits) with one change: ``POST /graphql`` with a JSON body that holds one valid query goes
through :class:`LeanQueries`; everything else (GET, multipart uploads, batches, mutations,
GraphiQL, WebSocket subscriptions, and any request whose document does not parse, validate or
fit the caller's cost budget) is handed to the app's Strawberry view unchanged, with the body
replayed, so every refusal and error code is the view's own.

What the fast path does per request, and what it reproduces of Strawberry's ``execute``:

* document: parsed (``max_tokens`` as ``MaxTokensLimiter``) and validated (graphql-core's
  specified rules + the depth and alias rules of ``api.guards`` + Strawberry's
  ``MaybeNullValidationRule`` and ``OneOfInputValidationRule`` + no introspection when
  switched off, as ``AccessGuard.on_operation``) once per query text, in a bounded LRU;
* cost: ``api.limits.cost_error`` per request (it depends on variables and role), as
  ``AccessGuard.on_validate``;
* execution: ``graphql.execute`` on ``schema._schema`` with Strawberry's executor class
  (``StrawberryGraphQLCoreExecutionContext``: resolvers get a Strawberry ``Info`` whose
  ``variable_values`` is the plain dict) and ``optimized_is_awaitable``, with the app's
  ``Context`` (principal, DataLoaders, database); permission classes are inside the
  resolvers Strawberry built, so they run as before;
* errors: masked by the app's ``MaskUnexpectedErrors`` (request id, SERVICE_UNAVAILABLE) and
  coded by ``api.errors.classify``, as ``MaskErrors.on_operation`` and the view's
  ``process_result``; ``KopdesSchema.process_errors`` does nothing, so nothing to call;
* answer: ``{"data": ..., "errors": [...]}`` encoded by orjson, ``application/graphql-
  response+json`` when the client prefers it (as ``api.http``).

Not reproduced (the fallback covers them or they are out of scope of a prototype): the
response cache of ``api.http`` (dashboards), operation extensions (persisted queries),
``extensions`` in the answer.
"""

from __future__ import annotations

import argparse
from collections import OrderedDict
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.execution import optimized_is_awaitable
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from api.auth import principal_of
from api.context import Context
from api.errors import MaskUnexpectedErrors, classify
from api.guards import _LIMIT_RULES, CACHED_DOCUMENTS, MAX_TOKENS, cost_error
from api.http import GRAPHQL_RESPONSE_JSON, JSON, has_nul, wants_graphql_response
from api.schema import schema
from shared.config import Settings
from shared.db import Database


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode | None  # None: the view answers (parse or validation failed)
    operation: OperationDefinitionNode | None


class DocumentCache:
    """Parsed and validated documents by (query text, operation name), least recently used
    out first. A hit costs one dict lookup instead of Strawberry's two LRU caches behind the
    extension hooks."""

    def __init__(self, settings: Settings, size: int = CACHED_DOCUMENTS) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()
        rules = [*specified_rules, *_LIMIT_RULES, MaybeNullValidationRule, OneOfInputValidationRule]
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)

    def get(self, query: str, operation_name: str | None) -> Prepared:
        key = (query, operation_name)
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            return found
        found = self._prepare(query, operation_name)
        self.entries[key] = found
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return found

    def _prepare(self, query: str, operation_name: str | None) -> Prepared:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError:
            return Prepared(None, None)
        if validate(schema._schema, document, self.rules):
            return Prepared(None, None)
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1:
            return Prepared(None, None)
        return Prepared(document, operations[0])


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read once, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class LeanQueries:
    def __init__(self, view: ASGIApp, db: Database, settings: Settings) -> None:
        self.view = view
        self.db = db
        self.settings = settings
        self.documents = DocumentCache(settings)
        self.masker = MaskUnexpectedErrors()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.view(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            await self.view(scope, receive, send)
            return
        body = await _read_body(receive)
        answer = await self._answer(scope, receive, body, headers)
        if answer is None:
            await self.view(scope, _replaying(body, receive), send)
            return
        media, content = answer
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", media),
                    (b"content-length", str(len(content)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})

    async def _answer(
        self, scope: Scope, receive: Receive, body: bytes, headers: dict[bytes, bytes]
    ) -> tuple[bytes, bytes] | None:
        """The answer of a valid query, or None when the view must answer."""
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        query, variables, name = data.get("query"), data.get("variables"), data.get("operationName")
        if not isinstance(query, str) or not isinstance(variables, (dict, type(None))):
            return None
        if not isinstance(name, (str, type(None))) or has_nul(query, variables):
            return None
        prepared = self.documents.get(query, name)
        if prepared.document is None or prepared.operation is None:
            return None
        if prepared.operation.operation != OperationType.QUERY:
            return None  # mutations and subscriptions: the view, as today
        principal = principal_of(scope)
        role = principal.role.value
        if cost_error(
            schema._schema,
            prepared.document,
            name,
            variables or {},
            getattr(self.settings, f"query_cost_{role}"),
            role,
            self.settings.max_page_size,
        ):
            return None
        context = Context(
            request=Request(scope, receive),
            response=None,
            db=self.db,
            principal=principal,
            request_id=scope.get("state", {}).get("request_id"),
        )
        result = await self._execute(prepared, variables, name, context)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            errors = []
            for error in self.masker._process_errors(result.errors):
                formatted = error.formatted
                classify(formatted)  # type: ignore[arg-type]
                errors.append(formatted)
            answer["errors"] = errors
        accept = headers.get(b"accept", b"").decode("latin-1")
        media = GRAPHQL_RESPONSE_JSON if wants_graphql_response(accept) else JSON
        return media.encode(), orjson.dumps(answer)

    async def _execute(
        self,
        prepared: Prepared,
        variables: dict[str, Any] | None,
        name: str | None,
        context: Context,
    ) -> ExecutionResult:
        from graphql import execute

        assert prepared.document is not None
        result = execute(
            schema._schema,
            prepared.document,
            context_value=context,
            variable_values=variables,
            operation_name=name,
            executor_class=schema.execution_context_class,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            operation_extensions=None,  # Strawberry's executor class takes it
        )
        if isawaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        return result


def prototype_app() -> Any:
    from starlette.routing import Route

    from benchmarks.kopdes_server import kopdes_app

    app = kopdes_app()
    for route in app.router.routes:
        if isinstance(route, Route) and route.path == "/graphql":
            route.app = LeanQueries(route.app, app.state.db, app.state.settings)
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        prototype_app(), host="127.0.0.1", port=args.port, log_config=None, proxy_headers=True
    )


if __name__ == "__main__":
    main()
