"""Request-body size: 413 for a body over the limit, before anything parses it.

A client that writes its whole body before it reads (Python's urllib, many scripts) would get
"connection reset by peer" instead of the 413 if the server answered and closed with the body
unread. So the rest of an over-limit body is read and thrown away first, up to a bound (the
largest upload accepted anyway, so the cost to the server is no more than an accepted
upload's), like nginx's lingering close; the answer then closes the connection.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import send_error
from api.scope import headers_of
from shared.config import Settings


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 to request bodies over the limit: ``upload_max_bytes`` for multipart uploads,
    ``request_max_bytes`` for everything else. A chunked body (no Content-Length) is counted
    as it is read; a declared length is what the server frames the body by, so a false one
    cannot bring more."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, headers: dict[bytes, bytes]) -> int:
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(b"multipart/form-data"):
            return self.settings.upload_max_bytes
        return self.settings.request_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = headers_of(scope)
        limit = self._limit(headers)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit():
            if int(declared) > limit:
                await self._drain(receive, 0)
                await self._refuse(send, limit)
                return
            if b"transfer-encoding" not in headers:
                # An HTTP/1.1 body is framed by its Content-Length (uvicorn reads no more than
                # it declares), so a declared length within the limit is all the app can read.
                await self.app(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    if message.get("more_body", False):
                        await self._drain(receive, received)
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(send, limit)

    async def _drain(self, receive: Receive, received: int) -> None:
        """Read and discard the rest of the body, up to the drain bound (then stop: the
        connection is closed after the answer)."""
        bound = max(self.settings.upload_max_bytes, self.settings.request_max_bytes)
        while received <= bound:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            received += len(message.get("body", b""))
            if not message.get("more_body", False):
                return

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await send_error(
            send,
            413,
            f"The request body is larger than the limit of {limit} bytes.",
            "PAYLOAD_TOO_LARGE",
            {"Connection": "close"},
            limit=limit,
        )
