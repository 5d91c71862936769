"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from shared.db import Database
from shared.models import ROLE_RANK, Role


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an API key's role and scope, or anonymous."""

    role: Role = Role.anonymous
    api_key_id: int | None = None
    name: str = "anonymous"
    province_code: str | None = None  # a partner's scope; None means the whole country
    key_prefix: str | None = None  # the visible start of the key's token
    expires_at: datetime | None = None

    def at_least(self, role: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def actor(self) -> str:
        return f"key:{self.name}" if self.api_key_id is not None else "anonymous"


ANONYMOUS = Principal()


@dataclass(slots=True)
class Context:
    request: Request | WebSocket
    response: Response | None
    db: Database
    principal: Principal = ANONYMOUS
    request_id: str | None = None
    # DataLoaders, created lazily per request (one per relation), see api.loaders.
    loaders: dict[str, Any] = field(default_factory=dict)
    # The payload of a websocket's connection_init (Strawberry sets it): browsers cannot send
    # headers on a websocket, so they send their key here (see api.auth.principal_from_params).
    connection_params: dict[str, Any] | None = None
