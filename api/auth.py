"""Who is calling: ``Authorization: Bearer <token>`` resolved into a Principal, and rate limits.

Runs as ASGI middleware in front of /graphql, so a bad key or an exhausted budget is refused
before GraphQL parses anything: 401 for a bad, expired or revoked key (never a silent fallback
to anonymous), 429 with Retry-After past the rate limit. Keys are looked up on every request
(one indexed read, no cache), so a revocation takes effect on the next request.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import ANONYMOUS, Principal
from api.errors import send_error
from api.scope import headers_of
from shared.access import keys
from shared.access.ratelimit import Decision, RateLimiter, build_rate_limiter, rate_for
from shared.config import Settings
from shared.db import Database
from shared.models import ApiKey, Role
from shared.rates import Rate

log = logging.getLogger(__name__)

# Keys are checked (and rates limited) on GraphQL and on export downloads.
PROTECTED_PATH = ("/graphql", "/exports/")
PRINCIPAL_STATE = "principal"
RATE_LIMIT_STATE = "rate_limit"


def principal_of(scope: Scope) -> Principal:
    """The principal the middleware resolved for this request."""
    principal = scope.get("state", {}).get(PRINCIPAL_STATE)
    if principal is None:
        # Without the middleware a key would be ignored: refuse rather than serve anonymously.
        if b"authorization" in headers_of(scope):
            raise RuntimeError("AccessMiddleware is not installed; API keys cannot be checked")
        return ANONYMOUS
    assert isinstance(principal, Principal)
    return principal


async def authenticate(db: Database, header: str) -> tuple[Principal, ApiKey, datetime]:
    """The principal of an ``Authorization`` value (``Bearer <token>``); raises InvalidToken."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise keys.InvalidToken("the Authorization header must be 'Bearer <API key>'")
    token = token.strip()
    prefix = keys.token_prefix(token)
    async with db.new_async_session() as session:
        key = (
            await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
        ).scalar_one_or_none()
    now = datetime.now(UTC)
    key = keys.check_token(key, token, now)
    principal = Principal(
        role=key.role,
        api_key_id=key.id,
        name=key.name,
        province_code=key.province_code,
        key_prefix=key.prefix,
        expires_at=key.expires_at,
    )
    return principal, key, now


async def principal_from_params(
    db: Database, params: dict[str, Any] | None, current: Principal
) -> Principal:
    """The principal of a websocket after its ``connection_init``.

    Browsers cannot set headers on a websocket, so a key may come in the payload as
    ``{"Authorization": "Bearer <token>"}``, checked exactly like the header (InvalidToken
    when bad). A connection that already carries a key in its headers may not name another.
    """
    value = (params or {}).get("Authorization", (params or {}).get("authorization"))
    if value is None:
        return current
    if not isinstance(value, str):
        raise keys.InvalidToken("Authorization in connection_init must be 'Bearer <API key>'")
    principal, _key, _now = await authenticate(db, value)
    if current.api_key_id is not None and current.api_key_id != principal.api_key_id:
        raise keys.InvalidToken("the connection's headers and connection_init name other keys")
    return principal


def rate_limit_of(scope: Scope) -> tuple[Rate, Decision] | None:
    """The rate limit this request was counted against and the decision, if it was counted."""
    found = scope.get("state", {}).get(RATE_LIMIT_STATE)
    return found if isinstance(found, tuple) else None


def client_address(scope: Scope) -> str:
    # uvicorn's proxy_headers puts the forwarded address here when the proxy is trusted.
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _with_rate_limit_headers(send: Send, decision: Decision) -> Send:
    """``send``, adding the ``RateLimit-*`` headers to an answer that counted against a limit
    (refusals included: 401 for a bad key spends the address's budget, and 429)."""
    added = [(k.lower().encode(), v.encode()) for k, v in decision.headers().items()]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *added]
        await send(message)

    return wrapped


class AccessMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        db: Database,
        settings: Settings,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.limiter = limiter or build_rate_limiter(settings)
        self._rates = {role: rate_for(settings, role) for role in Role}
        self._touched: dict[int, float] = {}  # key id -> monotonic time of the last touch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(
            PROTECTED_PATH
        ):
            await self.app(scope, receive, send)
            return
        header = headers_of(scope).get(b"authorization")
        principal = ANONYMOUS
        touch: tuple[int, datetime] | None = None
        if header is not None:
            try:
                principal, touch = await self._authenticate(header.decode("latin-1"))
            except keys.InvalidToken as exc:
                # Failed attempts spend the address's anonymous budget, so a flood of bad
                # keys is throttled like any other anonymous traffic.
                send = await self._count(
                    scope, send, f"addr:{client_address(scope)}", Role.anonymous
                )
                if not await self._refused(scope, send):
                    await self._unauthenticated(scope, send, exc.reason)
                return
        # A key's budget goes by its prefix, unique and never handed to another key, not by
        # its row id: a database reset or restored under the same Redis namespace gives the
        # ids to new keys, which would inherit the spent counters of old ones.
        bucket = (
            f"key:{principal.key_prefix}"
            if principal.api_key_id is not None
            else f"addr:{client_address(scope)}"
        )
        send = await self._count(scope, send, bucket, principal.role)
        if await self._refused(scope, send):
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        try:
            await self.app(scope, receive, send)
        finally:
            # After the response went out: the client does not wait for this write.
            if touch is not None:
                await self._touch(*touch)

    async def _authenticate(self, header: str) -> tuple[Principal, tuple[int, datetime] | None]:
        principal, key, now = await authenticate(self.db, header)
        return principal, ((key.id, now) if self._touch_due(key, now) else None)

    def _touch_due(self, key: ApiKey, now: datetime) -> bool:
        """Record last use at most once a minute per key (the UPDATE re-checks across processes)."""
        if key.last_used_at is not None and now - key.last_used_at < keys.LAST_USED_RESOLUTION:
            return False
        moment = time.monotonic()
        last = self._touched.get(key.id)
        if last is not None and moment - last < keys.LAST_USED_RESOLUTION.total_seconds():
            return False
        self._touched[key.id] = moment
        return True

    async def _touch(self, key_id: int, now: datetime) -> None:
        try:
            async with self.db.async_engine.begin() as conn:
                await conn.execute(keys.touch_statement(key_id, now))
        except Exception as exc:  # informative only: never fail or delay a request for it
            log.warning("could not record last use of API key %s: %s", key_id, exc)

    def _exempt(self, scope: Scope) -> bool:
        """Loopback callers of the embedded runtime (a developer on ``make run``) are not
        rate limited unless ``rate_limit_loopback`` says so."""
        if not self.settings.embedded or self.settings.rate_limit_loopback:
            return False
        try:
            return ipaddress.ip_address(client_address(scope)).is_loopback
        except ValueError:
            return False

    async def _count(self, scope: Scope, send: Send, bucket: str, role: Role) -> Send:
        """Count the request against its budget (unless limits are off or it is exempt); the
        ``send`` of its answer, with the ``RateLimit-*`` headers when it counted."""
        if not self.settings.rate_limit_enabled or self._exempt(scope):
            return send
        rate = self._rates[role]
        decision = await self.limiter.hit(bucket, rate)
        scope.setdefault("state", {})[RATE_LIMIT_STATE] = (rate, decision)  # for `viewer`
        if scope["type"] == "http" and decision.counted:
            return _with_rate_limit_headers(send, decision)
        return send

    @staticmethod
    async def _refused(scope: Scope, send: Send) -> bool:
        """Answer 429 (or close the websocket) when the budget is spent."""
        found = rate_limit_of(scope)
        if found is None or found[1].allowed:
            return False
        rate, decision = found
        retry = decision.retry_after_header
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4429})
            return True
        await send_error(
            send,
            429,
            f"Too many requests: the limit is {rate.count} per {rate.period:g} seconds."
            f" Retry in {retry} s.",
            "RATE_LIMITED",
            headers={"Retry-After": retry},
            retryAfter=int(retry),
        )
        return True

    @staticmethod
    async def _unauthenticated(scope: Scope, send: Send, reason: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        await send_error(
            send,
            401,
            f"Unauthenticated: {reason}.",
            "UNAUTHENTICATED",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
