"""A developer on ``make run`` (embedded runtime, calling from the same machine) is not rate
limited; anyone else, and loopback callers of the production runtime, are."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.support import embedded_only, needs_redis

QUERY = {"query": "{ __typename }"}


@asynccontextmanager
async def _client(address: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app
    from shared.config import get_settings
    from shared.db import get_database

    settings = get_settings().model_copy(
        update={"rate_limit_enabled": True, "rate_limit_anonymous": "2/minute", **overrides}
    )
    app = create_app(settings, get_database(), start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _codes(client: httpx.AsyncClient, count: int = 4) -> list[int]:
    return [(await client.post("/graphql", json=QUERY)).status_code for _ in range(count)]


@embedded_only
async def test_loopback_callers_of_the_embedded_runtime_are_not_limited(db: Any) -> None:
    async with _client("127.0.0.1") as client:
        assert await _codes(client) == [200, 200, 200, 200]
    async with _client("::1") as client:
        assert await _codes(client) == [200, 200, 200, 200]
    async with _client("10.9.8.7") as client:
        assert await _codes(client) == [200, 200, 429, 429]


@embedded_only
async def test_the_loopback_exemption_can_be_switched_off(db: Any) -> None:
    async with _client("127.0.0.2", rate_limit_loopback=True) as client:
        assert await _codes(client) == [200, 200, 429, 429]


@needs_redis
async def test_loopback_callers_of_the_production_runtime_are_limited(db: Any) -> None:
    async with _client("127.0.0.3") as client:
        assert await _codes(client) == [200, 200, 429, 429]
