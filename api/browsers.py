"""What browsers need of the API: CORS and compressed answers, as ASGI middleware.

Both are the well-kept libraries' (Starlette's ``CORSMiddleware``, starlette-compress), with
one shortcut each for the requests that do not need them, which are most of a server's
(programs, not pages): no ``Origin`` header and any origin allowed, nothing for CORS to add;
no ``Accept-Encoding``, nothing to compress.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

from api.answers import COMPRESS_MIN_BYTES
from api.http import GRAPHQL_RESPONSE_JSON
from api.scope import headers_of
from shared.config import Settings

add_compress_type(GRAPHQL_RESPONSE_JSON)

# What browsers on other origins may send and read (keys are bearer tokens, never cookies).
CORS_HEADERS = ["authorization", "content-type", "x-request-id"]
CORS_EXPOSED = ["etag", "retry-after", "x-request-id"]


class Cors:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        origins = settings.cors_origin_list
        self.any_origin = "*" in origins
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_HEADERS,
            expose_headers=CORS_EXPOSED,
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.any_origin and b"origin" not in headers_of(scope):
            # Without credentials, an answer for any origin does not vary by origin.
            await self.app(scope, receive, send)
            return
        await self.cors(scope, receive, send)


class Compression:
    """brotli or gzip for answers over 1 KB (zstd is left out: few browsers ask for it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compress = CompressMiddleware(app, minimum_size=COMPRESS_MIN_BYTES, zstd=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and b"accept-encoding" not in headers_of(scope):
            await self.app(scope, receive, send)
            return
        await self.compress(scope, receive, send)
