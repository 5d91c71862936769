"""The access line of every request, RateLimit headers, and client addresses behind a proxy."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from shared.models import Role
from tests.access.support import app_client, bearer, issue

NAMED_QUERY = "query CoverageNow { nationalCoverage { activeVillages } }"


@pytest.fixture(autouse=True)
def fresh_response_cache() -> None:
    """The response cache is per process: answers of earlier tests would be hits here."""
    from api.lean import ANSWERS

    ANSWERS.clear()


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kopdes.access"]


async def test_one_access_line_per_request_names_the_operation_and_the_key_not_its_token(
    db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    _, token = issue(db, Role.partner, name="bank")
    caplog.set_level(logging.INFO, logger="kopdes.access")
    async with app_client() as client:
        first = await client.post(
            "/graphql", json={"query": NAMED_QUERY}, headers={"X-Request-ID": "req-one"}
        )
        second = await client.post(
            "/graphql",
            json={"query": NAMED_QUERY, "operationName": "CoverageNow"},
            headers={**bearer(token), "X-Request-ID": "req-two"},
        )
        refused = await client.post(
            "/graphql",
            json={"query": "mutation Revoke { revokeApiKey(id: 1) { id } }"},
            headers={"X-Request-ID": "req-three"},
        )
    assert first.status_code == second.status_code == refused.status_code == 200
    lines = access_lines(caplog)
    assert [line.__dict__["request_id"] for line in lines] == ["req-one", "req-two", "req-three"]
    one, two, three = (line.__dict__ for line in lines)
    assert one["operation_name"] == "CoverageNow"
    assert one["operation_type"] == "query"
    assert one["status"] == 200
    assert one["error_codes"] is None
    assert one["role"] == "anonymous"
    assert one["key_prefix"] is None
    assert one["cache"] == "miss"
    assert one["client"].startswith("10.")
    assert one["duration_ms"] >= 0
    assert one["cost"] == 1  # one object (scalars count nothing)
    # The response cache is per role: a partner's first ask is a miss too.
    assert two["role"] == "partner"
    assert two["key_prefix"] == token.split("_")[1]
    assert two["cache"] == "miss"
    assert three["operation_name"] == "Revoke"
    assert three["operation_type"] == "mutation"
    assert three["error_codes"] == ["UNAUTHENTICATED"]
    for line in lines:
        assert token not in line.getMessage()
        assert all(token not in str(value) for value in line.__dict__.values())


async def test_a_repeated_cacheable_query_is_logged_as_a_cache_hit(
    db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kopdes.access")
    async with app_client() as client:
        for _ in range(2):
            assert (await client.post("/graphql", json={"query": NAMED_QUERY})).status_code == 200
    assert [line.__dict__["cache"] for line in access_lines(caplog)] == ["miss", "hit"]
    assert [line.__dict__["operation_name"] for line in access_lines(caplog)] == ["CoverageNow"] * 2


def _limited(**rates: str) -> dict[str, Any]:
    return {"rate_limit_enabled": True, **{f"rate_limit_{k}": v for k, v in rates.items()}}


async def test_answers_that_counted_carry_ratelimit_headers(db: Any) -> None:
    _, token = issue(db, Role.partner, name="counted")
    query = {"query": "{ __typename }"}
    async with app_client(**_limited(anonymous="4/minute", partner="5/minute")) as client:
        # A bad key spends the address's budget, and says so.
        bad_key = await client.post("/graphql", json=query, headers=bearer("kdp_x_" + "A" * 40))
        answers = [await client.post("/graphql", json=query) for _ in range(4)]
        keyed = await client.post("/graphql", json=query, headers=bearer(token))
        health = await client.get("/healthz")
    assert bad_key.status_code == 401
    assert (bad_key.headers["ratelimit-limit"], bad_key.headers["ratelimit-remaining"]) == (
        "4",
        "3",
    )
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-limit"] for a in answers] == ["4"] * 4
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    # The whole budget is back 15 s after each request spent (4 a minute): 15, 30, 45, 60 s.
    resets = [int(a.headers["ratelimit-reset"]) for a in (bad_key, *answers[:3])]
    assert resets == [15, 30, 45, 60]
    assert int(answers[3].headers["ratelimit-reset"]) == 60  # refused: nothing spent
    assert answers[3].headers["retry-after"]
    assert (keyed.headers["ratelimit-limit"], keyed.headers["ratelimit-remaining"]) == ("5", "4")
    # What is not limited says nothing of limits.
    assert "ratelimit-limit" not in health.headers


async def test_no_ratelimit_headers_when_limits_are_off(db: Any) -> None:
    async with app_client(rate_limit_enabled=False) as client:
        answer = await client.post("/graphql", json={"query": "{ __typename }"})
    assert answer.status_code == 200
    assert "ratelimit-limit" not in answer.headers


@asynccontextmanager
async def peer_client(peer: str, trusted: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client connecting from ``peer`` to an app that trusts the proxies ``trusted``."""
    from api.app import create_app
    from shared.config import get_settings
    from shared.db import get_database

    settings = get_settings().model_copy(
        update={
            "forwarded_allow_ips": trusted,
            # Counters of their own on Redis: addresses repeat across tests.
            "redis_namespace": f"fwd-{uuid.uuid4().hex[:8]}",
            **_limited(anonymous="1/minute"),
        }
    )
    app = create_app(settings, get_database(), start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _two_forwarded(client: httpx.AsyncClient) -> list[int]:
    codes = []
    for address in ("203.0.113.7", "203.0.113.8"):
        answer = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-Forwarded-For": address}
        )
        codes.append(answer.status_code)
    return codes


async def test_a_trusted_proxy_names_the_client(db: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="kopdes.access")
    async with peer_client("192.0.2.10", trusted="192.0.2.0/24") as client:
        # One request a minute per address: two forwarded addresses are two budgets.
        assert await _two_forwarded(client) == [200, 200]
    assert [line.__dict__["client"] for line in access_lines(caplog)] == [
        "203.0.113.7",
        "203.0.113.8",
    ]


async def test_an_untrusted_peer_cannot_choose_its_address(
    db: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="kopdes.access")
    async with peer_client("198.51.100.9", trusted="192.0.2.0/24") as client:
        # X-Forwarded-For is ignored: both requests spend the peer's one budget.
        assert await _two_forwarded(client) == [200, 429]
    async with peer_client("198.51.100.10", trusted="") as client:
        assert await _two_forwarded(client) == [200, 429]
    assert [line.__dict__["client"] for line in access_lines(caplog)] == [
        "198.51.100.9",
        "198.51.100.9",
        "198.51.100.10",
        "198.51.100.10",
    ]
