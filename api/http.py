"""GraphQL over HTTP as the spec describes it, on top of Strawberry's ASGI view.

* A client that accepts ``application/graphql-response+json`` gets that media type, and a
  request that could not run at all (unparsable, invalid) answers 400; a response with data
  (even partial) answers 200. Clients that accept only ``application/json`` get 200, as the
  spec requires for that legacy type.
* Every error gets an ``extensions.code`` (see :mod:`api.errors`).
* Most queries never reach this view: :mod:`api.lean` answers them (and caches the answers
  of dashboard queries); this view answers mutations, subscriptions, uploads, batches and
  GraphiQL, and the requests the lean path leaves to its refusals.
"""

from __future__ import annotations

import re
from typing import Any

from cross_web import HTTPException
from graphql import GraphQLError
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
    if "graphql-response" not in accept.lower():  # most clients: no Accept, */*, or JSON alone
        return False
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if GRAPHQL_RESPONSE_JSON not in types:
        return False
    return JSON not in types or types.index(GRAPHQL_RESPONSE_JSON) < types.index(JSON)


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
        return await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )

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
                # The request itself failed (parse, validation, cost): 400, and no data
                # entry (GraphQL over HTTP, for this media type).
                sub_response.status_code = 400
                data.pop("data", None)
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
