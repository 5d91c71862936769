"""GraphQL over HTTP as the spec describes it, on top of Strawberry's ASGI view.

* A client that accepts ``application/graphql-response+json`` gets that media type, and a
  request that could not run at all (unparsable, invalid) answers 400; a response with data
  (even partial) answers 200. Clients that accept only ``application/json`` get 200, as the
  spec requires for that legacy type.
* Every error gets an ``extensions.code`` (see :mod:`api.errors`).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.http import process_result as strawberry_process_result
from strawberry.types import ExecutionResult

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


class GraphQLHTTP(GraphQL[Context, None]):
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
