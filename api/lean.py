"""The lean path of ``/graphql``: queries executed by graphql-core on Strawberry's schema.

Strawberry stays the schema (types, permission classes, DataLoaders, subscriptions); what this
path leaves out is the work Strawberry's view and ``Schema.execute`` do around each request
(about 1.4 ms of it: an extension runner, six extensions made anew, two caches behind hooks,
the stdlib JSON encoder). Per request it does only this:

1. the request: a JSON ``POST`` or a ``GET`` with ``query``/``variables``/``operationName``/
   ``extensions`` parameters, with persisted queries resolved (:mod:`api.persisted`);
2. the document from :class:`api.documents.DocumentCache`: parsed and validated once per text
   with every rule of Strawberry's path; its cost (:mod:`api.guards`) against the role's
   budget, once per document unless a page size comes from a variable;
3. a cacheable document's answer from :mod:`api.answers` when the data versions have not
   moved (an ``ETag``, ``304`` to a matching ``If-None-Match``, compressed variants kept);
4. a query a compiled plan covers (:mod:`api.plans`, PostgreSQL): one statement whose
   result is the answer's ``data``;
5. otherwise ``graphql.execute`` with Strawberry's executor class and the app's ``Context``;
   errors masked and coded as Strawberry's path does (:mod:`api.errors`); the answer encoded
   by orjson with its cost in ``extensions.cost``.

Everything else goes to the Strawberry view (:mod:`api.http`) as it is: mutations,
subscriptions, multipart uploads, batches, GraphiQL, and requests it refuses with its own
messages (no query, a body that is not an object, an operation it cannot pick, NUL
characters). The request body is replayed to it.
"""

from __future__ import annotations

import asyncio
import logging
from inspect import isawaitable
from typing import Any
from urllib.parse import parse_qsl

import orjson
from graphql import ExecutionResult, GraphQLError, execute
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.execution import optimized_is_awaitable

from api.access_log import graphql_record
from api.answers import VARY, Answer, AnswerCache, accepted_encoding, cache_control, tag_of
from api.auth import principal_of
from api.context import Context
from api.documents import DocumentCache, Prepared, query_hash, select_operation
from api.errors import MaskUnexpectedErrors, classify
from api.guards import over_budget
from api.http import GRAPHQL_RESPONSE_JSON, JSON, has_nul, wants_graphql_response
from api.loaders import Versions
from api.persisted import MISMATCH, NOT_FOUND, PersistedQueries, PersistedQueryError
from api.persisted import requested_hash as persisted_hash
from api.plans import PlanRunner, Unplannable
from api.schema import schema
from api.scope import headers_of
from api.versions import VersionClock
from shared import tracing
from shared.config import Settings
from shared.db import Database

log = logging.getLogger(__name__)

# Answers of every app in this process; keyed by the data versions, so never stale.
ANSWERS = AnswerCache()
_GRAPHQL_RESPONSE = GRAPHQL_RESPONSE_JSON.encode()
_JSON = JSON.encode()
_NO_STORE = b"no-store"


class _Handoff(Exception):
    """The view answers this request (with ``body`` instead of the one received, if given)."""

    def __init__(self, body: bytes | None = None) -> None:
        super().__init__()
        self.body = body


class _Call:
    """One request on the lean path."""

    __slots__ = (
        "cost",
        "extensions",
        "media",
        "name",
        "prepared",
        "principal",
        "receive",
        "scope",
        "variables",
    )

    def __init__(
        self,
        scope: Scope,
        receive: Receive,
        prepared: Prepared,
        variables: dict[str, Any] | None,
        name: str | None,
        extensions: dict[str, Any] | None,
        media: bytes,
    ) -> None:
        self.scope = scope
        self.receive = receive
        self.prepared = prepared
        self.variables = variables
        self.name = name
        self.extensions = extensions
        self.media = media
        self.principal = principal_of(scope)
        self.cost = 0


class Reply:
    """An answer to send: status, body, headers."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    async def send(self, send: Send) -> None:
        headers = [*self.headers, (b"content-length", str(len(self.body)).encode())]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then the client's messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _request_data(scope: Scope, body: bytes) -> dict[str, Any]:
    """The GraphQL request of a JSON POST or a GET; _Handoff when the view must judge it."""
    if scope["method"] == "GET":
        params = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        data: dict[str, Any] = {"query": params.get("query")}
        if "operationName" in params:
            data["operationName"] = params["operationName"]
        for name in ("variables", "extensions"):
            if params.get(name):
                try:
                    data[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError:
                    raise _Handoff from None
        if data["query"] is None and "extensions" not in data:
            raise _Handoff  # GraphiQL, or the view's "no query" refusal
        return data
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _Handoff from None
    if not isinstance(parsed, dict):
        raise _Handoff
    return parsed


class LeanGraphQL:
    """The ASGI endpoint of ``/graphql``: the lean path, the Strawberry ``view`` behind it."""

    def __init__(self, view: ASGIApp, db: Database, settings: Settings) -> None:
        self.view = view
        self.db = db
        self.settings = settings
        self.documents = DocumentCache(settings)
        self.clock = VersionClock(db)
        self.persisted = PersistedQueries(settings)
        self.masker = MaskUnexpectedErrors()
        self.max_age = settings.http_cache_max_age
        self._computing: dict[tuple[Any, ...], asyncio.Future[Answer | None]] = {}
        dsn = self.clock.dsn  # PostgreSQL only
        self.plans = PlanRunner(dsn) if dsn is not None and settings.compiled_plans else None

    async def close(self) -> None:
        await self.persisted.close()
        await self.clock.close()
        if self.plans is not None:
            await self.plans.close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.view(scope, receive, send)
            return
        headers = headers_of(scope)
        body = b""
        if scope["method"] == "POST":
            if not headers.get(b"content-type", b"").startswith(b"application/json"):
                await self.view(scope, receive, send)
                return
            body = await _read_body(receive)
        try:
            reply = await self._answer(scope, receive, body, headers)
        except _Handoff as handoff:
            replayed = body if handoff.body is None else handoff.body
            await self.view(scope, _replaying(replayed, receive), send)
            return
        await reply.send(send)

    async def _answer(
        self, scope: Scope, receive: Receive, body: bytes, headers: dict[bytes, bytes]
    ) -> Reply:
        data = _request_data(scope, body)
        query, variables = data.get("query"), data.get("variables")
        name, extensions = data.get("operationName"), data.get("extensions")
        if not (
            (variables is None or isinstance(variables, dict))
            and (name is None or isinstance(name, str))
            and (extensions is None or isinstance(extensions, dict))
        ):
            raise _Handoff  # the view refuses them with its messages
        media = (
            _GRAPHQL_RESPONSE
            if wants_graphql_response(headers.get(b"accept", b"").decode("latin-1"))
            else _JSON
        )
        record = graphql_record(scope)  # what the access line and the metrics say
        record["operation_name"] = name
        if extensions is not None:
            try:
                query = await self._resolve_persisted(query, extensions)
            except PersistedQueryError as error:
                return self._refusal(media, [_coded(error.message, error.code)], record=record)
        if not isinstance(query, str) or not query or has_nul(query, variables):
            raise _Handoff
        prepared = self.documents.get(query, name)
        operation = prepared.operation
        if operation is None and prepared.document is not None:  # invalid: still named
            operation = select_operation(prepared.document, name)
        if operation is not None:
            record["operation_name"] = operation.name.value if operation.name else None
            record["operation_type"] = operation.operation.value
        if prepared.errors:
            return self._refusal(media, list(prepared.errors), record=record)
        if extensions is not None and persisted_hash(extensions) is not None:
            await self.persisted.put(prepared.query_hash, query)
        if not prepared.is_query:
            # Mutations and subscriptions, or no operation to pick: the view, given the text
            # of a persisted query (it knows no persisted queries).
            if data.get("query") == query:
                raise _Handoff
            if scope["method"] != "POST":
                message = "Persisted mutations and subscriptions are sent with POST."
                return self._refusal(
                    media, [_coded(message, "BAD_REQUEST")], status=405, record=record
                )
            raise _Handoff(orjson.dumps({**data, "query": query}))
        call = _Call(scope, receive, prepared, variables, name, extensions, media)
        role = call.principal.role.value
        call.cost = record["cost"] = prepared.cost(variables or {}, self.settings.max_page_size)
        assert prepared.operation is not None
        refusal = over_budget(
            call.cost, prepared.operation, getattr(self.settings, f"query_cost_{role}"), role
        )
        if refusal is not None:
            return self._refusal(media, [refusal], call.cost, record=record)
        if not prepared.cacheable:
            uncached = [(b"content-type", media), (b"cache-control", _NO_STORE)]
            planned = await self._planned(call)
            if planned is not None:
                return Reply(200, planned, uncached)
            body, status, _failed = await self._run(call)
            return Reply(status, body, uncached)
        return await self._cached(call, headers)

    async def _planned(self, call: _Call) -> bytes | None:
        """The answer by the document's compiled plan; None when it has none, or these
        values (or the database) send it to the general path."""
        prepared = call.prepared
        plan = prepared.plan
        if self.plans is None or plan is None:
            return None
        try:
            sql, params = plan.statement(call.variables)
        except Unplannable:
            return None
        operation = prepared.operation
        named = operation.name.value if operation and operation.name else "anonymous"
        with tracing.span(f"GraphQL Query: {named}", {"graphql.operation.name": named}):
            data = await self.plans.run(sql, params)
        if data is None:
            return None
        graphql_record(call.scope)["plan"] = "compiled"
        return b'{"data":%s,"extensions":{"cost":%d}}' % (data, call.cost)

    async def _resolve_persisted(self, query: Any, extensions: Any) -> Any:
        digest = persisted_hash(extensions)
        if digest is None:
            return query
        if isinstance(query, str):
            if query_hash(query) != digest:
                raise PersistedQueryError(MISMATCH, "provided sha does not match query")
            return query  # registered once it validates
        found = await self.persisted.get(digest)
        if found is None:
            raise PersistedQueryError(NOT_FOUND, "PersistedQueryNotFound")
        return found

    async def _cached(self, call: _Call, headers: dict[bytes, bytes]) -> Reply:
        prepared, principal = call.prepared, call.principal
        # A document that reads no data ({ __typename }) needs no versions.
        state = None
        if not prepared.static:
            try:
                state = await self.clock.read()
            except Exception as exc:  # the database is down: answer as uncached queries do
                log.warning("data versions unreadable, answering without the cache: %s", exc)
                body, status, _failed = await self._run(call)
                uncached = [(b"content-type", call.media), (b"cache-control", _NO_STORE)]
                return Reply(status, body, uncached)
        key = (
            prepared.query_hash,
            call.name,
            orjson.dumps(call.variables or {}, option=orjson.OPT_SORT_KEYS),
            principal.role.value,
            principal.province_code,
            call.media,
            *(state.key if state is not None else ()),
        )
        answer = ANSWERS.get(key)
        graphql_record(call.scope)["cache"] = "miss" if answer is None else "hit"
        if answer is None:
            answer, reply = await self._single_flight(key, call, state)
            if answer is None:
                assert reply is not None
                return reply
        encoding = accepted_encoding(headers.get(b"accept-encoding", b"").decode("latin-1"))
        content, used, etag = answer.representation(encoding)
        reply_headers = [
            (b"etag", etag),
            (b"cache-control", cache_control(principal.api_key_id is None, self.max_age)),
            (b"vary", VARY),
        ]
        if_none_match = headers.get(b"if-none-match")
        if if_none_match is not None and answer.matches(if_none_match.decode("latin-1")):
            return Reply(304, b"", reply_headers)
        reply_headers.append((b"content-type", answer.media_type))
        if used is not None:
            reply_headers.append((b"content-encoding", used.encode()))
        return Reply(200, content, reply_headers)

    async def _single_flight(
        self, key: tuple[Any, ...], call: _Call, state: Versions | None
    ) -> tuple[Answer | None, Reply | None]:
        """The answer of a cache miss, computed once however many ask for it at once; or the
        reply of one that failed (errors are not cached)."""
        running = self._computing.get(key)
        if running is not None:
            found = await asyncio.shield(running)
            if found is not None:
                return found, None
        future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
        self._computing[key] = future
        try:
            body, status, failed = await self._run(call, state)
            if failed:
                future.set_result(None)
                headers = [(b"content-type", call.media), (b"cache-control", _NO_STORE)]
                return None, Reply(status, body, headers)
            answer = Answer(body, call.media, tag_of(key))
            ANSWERS.put(key, answer)
            future.set_result(answer)
            return answer, None
        finally:
            if not future.done():
                future.set_result(None)
            self._computing.pop(key, None)

    async def _run(self, call: _Call, state: Versions | None = None) -> tuple[bytes, int, bool]:
        """Execute: the encoded answer, its status (as Strawberry's path answers it) and
        whether it holds errors."""
        document = call.prepared.document
        assert document is not None
        context = Context(
            request=Request(call.scope, call.receive),
            response=None,
            db=self.db,
            principal=call.principal,
            request_id=call.scope.get("state", {}).get("request_id"),
        )
        if state is not None:
            _seed_versions(context, state)
        try:
            # Named as Strawberry's OpenTelemetry extension names the view's operations.
            operation = call.prepared.operation
            named = operation.name.value if operation and operation.name else "anonymous"
            with tracing.span(f"GraphQL Query: {named}", {"graphql.operation.name": named}):
                result = execute(
                    schema._schema,
                    document,
                    context_value=context,
                    variable_values=call.variables,
                    operation_name=call.name,
                    executor_class=schema.execution_context_class,
                    is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                    operation_extensions=call.extensions,
                )
                if isawaitable(result):
                    result = await result
        except Exception as exc:  # outside any resolver: masked like Strawberry's path does
            result = ExecutionResult(None, [GraphQLError(str(exc), original_error=exc)])
        assert isinstance(result, ExecutionResult)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            answer["errors"] = _formatted(
                self.masker._process_errors(result.errors), graphql_record(call.scope)
            )
        answer["extensions"] = {"cost": call.cost}
        nothing = result.data is None and bool(result.errors)
        status = 400 if nothing and call.media == _GRAPHQL_RESPONSE else 200  # as api.http
        return orjson.dumps(answer), status, bool(result.errors)

    def _refusal(
        self,
        media: bytes,
        errors: list[GraphQLError],
        cost: int | None = None,
        status: int | None = None,
        *,
        record: dict[str, Any] | None = None,
    ) -> Reply:
        """The answer to a request that could not run (it does not parse, validate, fit the
        budget, or name a known persisted query): no ``data`` entry and 400 for
        ``application/graphql-response+json`` (GraphQL over HTTP), ``data: null`` and 200
        for ``application/json``."""
        answer: dict[str, Any] = {}
        if media == _JSON:
            answer["data"] = None
        answer["errors"] = _formatted(errors, record)
        if cost is not None:
            answer["extensions"] = {"cost": cost}
        if status is None:
            status = 400 if media == _GRAPHQL_RESPONSE else 200
        headers = [(b"content-type", media), (b"cache-control", _NO_STORE)]
        return Reply(status, orjson.dumps(answer), headers)


def _coded(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def _formatted(
    errors: list[GraphQLError], record: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The errors as answered, each with its code (told to the request's record too)."""
    formatted = []
    for error in errors:
        entry = dict(error.formatted)
        classify(entry)
        formatted.append(entry)
    if record is not None:
        codes: list[Any] = [(e.get("extensions") or {}) for e in formatted]
        record["error_codes"] = [str(extensions.get("code")) for extensions in codes]
    return formatted


def _seed_versions(context: Context, state: Versions) -> None:
    """Resolvers read the versions through ``api.loaders.versions``: give them these."""
    done: asyncio.Future[Versions] = asyncio.get_running_loop().create_future()
    done.set_result(state)
    context.loaders["__versions"] = done
