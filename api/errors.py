"""Errors a client can act on carry ``extensions.code``; anything else is masked and logged.

Codes: BAD_USER_INPUT, NOT_FOUND, UNAUTHENTICATED, FORBIDDEN (from api.permissions),
GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED (including the guards' refusals),
QUERY_TOO_COSTLY, SERVICE_UNAVAILABLE when the job queue (Redis) cannot take a job, and
INTERNAL_SERVER_ERROR for masked errors, which also carry the request id to quote. Refusals
answered before GraphQL runs (401, 413, 429) have the same shape (:func:`send_error`).

A refused change is not an error of the request: it is answered in the payload's
``userErrors`` (see ``api/schema/user_errors.py``).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from graphql import GraphQLError
from starlette.types import Send
from strawberry.extensions import MaskErrors

from shared.broker import BrokerUnavailable
from shared.logs import request_id_var

log = logging.getLogger("api.errors")

MASKED_MESSAGE = "Unexpected error."


async def send_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> None:
    """Answer an HTTP request with a GraphQL-shaped error document, from ASGI middleware, so
    clients parse every refusal the same way."""
    body = json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def bad_input(message: str, **extensions: Any) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", **extensions})


def not_found(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "NOT_FOUND"})


def _is_client_error(error: GraphQLError) -> bool:
    original = error.original_error
    if original is None:
        # Parse and validation errors, and GraphQLErrors raised by resolvers, have none.
        return True
    # Any other exception escaping a resolver is a bug: its text may leak internals.
    return isinstance(original, GraphQLError)


def should_mask(error: GraphQLError) -> bool:
    if _is_client_error(error):
        return False
    if isinstance(error.original_error, BrokerUnavailable):
        # Not a bug: rewritten as SERVICE_UNAVAILABLE by anonymise_error, logged as a warning.
        log.warning("job queue unavailable (request %s): %s", request_id_var.get(), error.message)
        return True
    log.error(
        "unexpected error at %s (request %s)",
        ".".join(str(p) for p in error.path or ()) or "-",
        request_id_var.get(),
        exc_info=error.original_error,
    )
    return True


class MaskUnexpectedErrors(MaskErrors):
    """MaskErrors that keeps the request id in the masked error, for support."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask, error_message=MASKED_MESSAGE)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if isinstance(error.original_error, BrokerUnavailable):
            return GraphQLError(
                message=f"{error.original_error} Try again when it is back.",
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={"code": "SERVICE_UNAVAILABLE", "requestId": request_id_var.get()},
            )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id_var.get()},
        )


def classify(error: dict[str, Any]) -> None:
    """Give a code to a formatted error that has none (parse and validation errors)."""
    extensions = error.setdefault("extensions", {})
    if "code" in extensions:
        return
    message = str(error.get("message", ""))
    if message.startswith("Syntax Error"):
        extensions["code"] = "GRAPHQL_PARSE_FAILED"
    elif "path" not in error:
        extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    else:
        extensions["code"] = "BAD_USER_INPUT"
