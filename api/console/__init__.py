"""The ops console: static files served at ``/console``, talking only to ``/graphql``.

The page is plain ES modules (Preact and htm, vendored in ``static/vendor``) with no build
step, so the files here are exactly what the browser runs. Every response carries a strict
Content-Security-Policy: scripts, styles and requests only from this origin (plus its
websocket for job progress), no inline code, no framing, and Trusted Types so that no string
can become HTML.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static"
PREFIX = "/console"

# A Host header is the client's to choose: only a plain host[:port] goes into the policy.
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def content_security_policy(host: str | None) -> str:
    # 'self' covers the page's own ws: and wss: in CSP Level 3 browsers; older ones need them
    # spelt out, from the Host the page was loaded from.
    sockets = f" ws://{host} wss://{host}" if host and _SAFE_HOST.match(host) else ""
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            f"connect-src 'self'{sockets}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "require-trusted-types-for 'script'",
            "trusted-types 'none'",
        ]
    )


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    # The files change with each release of the package: revalidate (ETag) on every load.
    "cache-control": "no-cache",
}


class SecureStatic:
    """Static files with the console's security headers on every response (404s included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
        extra = [
            (b"content-security-policy", content_security_policy(host).encode()),
            *((k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k for k, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except HTTPException as exc:  # StaticFiles' 404 and 405, with the headers too
            answer = PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
            await answer(scope, receive, with_headers)


async def _to_index(_request: object) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/", status_code=308)


def console_routes() -> list[BaseRoute]:
    """``/console`` (redirect) and ``/console/...`` (the files, ``index.html`` for the folder)."""
    files = SecureStatic(StaticFiles(directory=STATIC, html=True))
    return [Route(PREFIX, _to_index), Mount(PREFIX, app=files, name="console")]


__all__ = ["console_routes", "content_security_policy"]
