"""GraphQL over HTTP as the spec describes it, on top of Strawberry's ASGI view.

* A client that accepts ``application/graphql-response+json`` gets that media type, and a
  request that could not run at all (unparsable, invalid) answers 400; a response with data
  (even partial) answers 200. Clients that accept only ``application/json`` get 200, as the
  spec requires for that legacy type.
* Every error gets an ``extensions.code`` (see :mod:`api.errors`).
* Answers of dashboard queries (coverage, regions, editions) depend only on the data and
  coverage versions, so they are cached in-process keyed by those versions, the query and the
  caller's role and scope: a polling dashboard costs one read of ``data_state``.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

from cross_web import HTTPException
from graphql import FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http import process_result as strawberry_process_result
from strawberry.types import ExecutionResult

from api.access_log import graphql_record
from api.context import Context
from api.errors import classify

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"


def wants_graphql_response(accept: str) -> bool:
    """True when the client lists the new media type before (or without) plain JSON."""
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE_JSON not in types:
        return False
    return JSON not in types or types.index(GRAPHQL_RESPONSE_JSON) < types.index(JSON)


# Root fields whose whole answer is a function of the versions in data_state (every change
# to regions, cooperatives and proposals bumps the data version; recalculations bump the
# coverage version). Jobs, keys and the audit log are not: queries touching them run afresh.
CACHEABLE_ROOT_FIELDS = frozenset(
    {
        "__typename",
        "nationalCoverage",
        "provinces",
        "region",
        "regions",
        "coverageHistory",
        "editions",
        "retiredVillagesWithCooperatives",
    }
)
RESPONSE_CACHE_SIZE = 256


def cacheable_operation(
    query: str | None, operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation when its answer may come from the response cache, else None."""
    if not query or len(query) > 20_000:
        return None
    try:
        document = parse(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
        return None
    selections = operations[0].selection_set.selections
    if all(
        isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOT_FIELDS and not s.directives
        for s in selections
    ):
        return operations[0]
    return None


class ResponseCache:
    def __init__(self, size: int = RESPONSE_CACHE_SIZE) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], ExecutionResult] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> ExecutionResult | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], result: ExecutionResult) -> None:
        self.entries[key] = result
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()


RESPONSE_CACHE = ResponseCache()


# PostgreSQL text cannot hold U+0000: such an argument would fail in the driver, a 500.
_ESCAPED_NUL = re.compile(r"\\u(?:0000|\{0+\})", re.IGNORECASE)


def has_nul(query: str | None, variables: object) -> bool:
    if query and ("\x00" in query or _ESCAPED_NUL.search(query)):
        return True
    stack = [variables]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class GraphQLHTTP(GraphQL[Context, None]):
    def parse_json(self, data: str | bytes) -> Any:
        """Strawberry's parser, refusing with 400 what it would turn into a 500: a body that
        is valid JSON but not an object (``null``, ``42``) and one nested past the
        recursion limit."""
        try:
            parsed = super().parse_json(data)
        except RecursionError:
            raise HTTPException(400, "The request body is nested too deeply.") from None
        if not isinstance(parsed, (dict, list)):
            raise HTTPException(
                400, "The request body must be a JSON object with a query (and variables)."
            )
        return parsed

    async def parse_multipart(self, request: Any) -> dict[str, str]:
        """Strawberry's multipart parser; a ``map`` or ``operations`` of the wrong shape (a
        list, a path into nothing) is the client's mistake, answered 400, not a 500."""
        try:
            return await super().parse_multipart(request)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise HTTPException(
                400,
                "The multipart request does not follow the GraphQL multipart request spec"
                f" (operations, map, files): {exc}",
            ) from None

    async def execute_single(
        self,
        request: Request,
        request_adapter: Any,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if has_nul(request_data.query, request_data.variables):
            return ExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Text arguments must not contain the NUL character (U+0000).",
                        extensions={"code": "BAD_USER_INPUT"},
                    )
                ],
            )
        operation = cacheable_operation(request_data.query, request_data.operation_name)
        if operation is None:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        from api.loaders import versions

        record = graphql_record(request.scope)
        state = await versions(context)
        principal = context.principal
        key = (
            request_data.query,
            json.dumps(request_data.variables or {}, sort_keys=True, default=str),
            request_data.operation_name,
            principal.role,
            principal.province_code,
            *state.key,
        )
        cached = RESPONSE_CACHE.get(key)
        if cached is not None:
            name = operation.name.value if operation.name else None
            record.update(cache="hit", operation_type="query", operation_name=name)
            return cached
        record["cache"] = "miss"
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        if not result.errors:
            RESPONSE_CACHE.put(key, result)
        return result

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        request.state.graphql_sub_response = sub_response
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        data = strawberry_process_result(result)
        errors: list[dict[str, Any]] = data.get("errors") or []  # type: ignore[assignment]
        for error in errors:
            classify(error)
        graphql_record(request.scope)["error_codes"] = [
            str((e.get("extensions") or {}).get("code")) for e in errors
        ]
        sub_response: Response | None = getattr(request.state, "graphql_sub_response", None)
        if sub_response is not None and wants_graphql_response(request.headers.get("accept", "")):
            sub_response.media_type = GRAPHQL_RESPONSE_JSON
            if result.data is None and result.errors:
                # No data entry: the request itself failed (parse or validation).
                sub_response.status_code = 400
        return data

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        response = Response(
            self.encode_json(response_data),
            status_code=sub_response.status_code or 200,
            media_type=sub_response.media_type or JSON,
        )
        for name, value in sub_response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                response.headers.append(name, value)
        if sub_response.background:
            response.background = sub_response.background
        return response


__all__ = ["GRAPHQL_RESPONSE_JSON", "GraphQLHTTP", "wants_graphql_response"]
