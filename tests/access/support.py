"""Keys and apps for the access-control tests."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update

from shared.access import keys
from shared.audit import Actor
from shared.models import ApiKey, Role

TEST_ACTOR = Actor(name="test")


def issue(
    db: Any,
    role: Role,
    *,
    name: str | None = None,
    province: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[int, str]:
    """A key made through the service; returns (id, token)."""
    with db.transaction() as session:
        issued = keys.create_key(
            session,
            TEST_ACTOR,
            name=name or f"{role.value}-key",
            role=role,
            province_code=province,
            expires_at=expires_at,
        )
        return issued.key.id, issued.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Callers:
    """One token per way of calling; ``headers(name)`` for httpx."""

    tokens: dict[str, str]
    ids: dict[str, int]

    def headers(self, name: str) -> dict[str, str]:
        return {} if name == "anonymous" else bearer(self.tokens[name])


def make_callers(db: Any) -> Callers:
    tokens: dict[str, str] = {}
    ids: dict[str, int] = {}
    for role in (Role.partner, Role.operations, Role.admin):
        ids[role.value], tokens[role.value] = issue(db, role)
    ids["partner64"], tokens["partner64"] = issue(db, Role.partner, name="kaltim", province="64")
    ids["expired"], tokens["expired"] = issue(
        db, Role.admin, name="expired", expires_at=datetime.now(UTC) + timedelta(seconds=5)
    )
    ids["revoked"], tokens["revoked"] = issue(db, Role.admin, name="revoked")
    with db.transaction() as session:
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(ApiKey).where(ApiKey.id == ids["expired"]).values(expires_at=past))
        keys.revoke_key(session, TEST_ACTOR, ids["revoked"])
    return Callers(tokens=tokens, ids=ids)


@asynccontextmanager
async def app_client(**overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client on an app built with these setting overrides (the test session's otherwise)."""
    from api.app import create_app
    from shared.config import get_settings
    from shared.db import get_database

    settings = get_settings().model_copy(update=overrides)
    app = create_app(settings, get_database(), start_embedded_worker=False)
    # A client address of its own: on Redis, address counters outlive the app.
    address = f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
