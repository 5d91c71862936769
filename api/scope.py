"""A request's headers as the middlewares of ``/graphql`` read them: parsed once per request.

Every layer asks for one or two headers (the request id, ``Origin``, ``Accept-Encoding``,
``Content-Length``, ``Authorization``, ``Content-Type``...); one dict made by the first to ask
answers them all. None of the layers changes the headers, so the dict stays true.
"""

from __future__ import annotations

from starlette.types import Scope

_HEADERS = "kopdes.headers"


def headers_of(scope: Scope) -> dict[bytes, bytes]:
    """The request's headers by (lowercase) name; of a repeated header, the last."""
    found: dict[bytes, bytes] | None = scope.get(_HEADERS)
    if found is None:
        found = scope[_HEADERS] = dict(scope.get("headers") or ())
    return found
