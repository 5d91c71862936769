"""Rate limits: the algorithm on both backends, and 429 with Retry-After over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from shared.access.ratelimit import MemoryRateLimiter, RedisRateLimiter
from shared.models import Role
from shared.rates import Rate, parse_rate
from tests.access.support import Callers, app_client, bearer, issue
from tests.support import TEST_REDIS_URL, needs_redis


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_limiter_allows_a_burst_then_paces() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    rate = Rate(count=5, period=60.0)
    decisions = [await limiter.hit("a", rate) for _ in range(5)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    refused = await limiter.hit("a", rate)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(12.0)
    assert refused.retry_after_header == "12"
    assert (await limiter.hit("b", rate)).allowed  # buckets are separate
    clock.now += 12.0
    assert (await limiter.hit("a", rate)).allowed
    assert not (await limiter.hit("a", rate)).allowed
    clock.now += 60.0
    assert [(await limiter.hit("a", rate)).allowed for _ in range(6)] == [True] * 5 + [False]


@pytest.mark.parametrize("reading", [4090.1, 8170.7, 1000.0])
async def test_a_full_budget_of_one_a_period_allows_the_first_request(reading: float) -> None:
    # At these readings now + 60 crosses a power of two and rounds: (now + 60) - 60 > now.
    clock = FakeClock()
    clock.now = reading
    limiter = MemoryRateLimiter(clock=clock)
    rate = Rate(count=1, period=60.0)
    first, second = [await limiter.hit("a", rate) for _ in range(2)]
    assert (first.allowed, first.remaining, first.reset_after) == (True, 0, 60.0)
    assert not second.allowed
    assert second.retry_after == pytest.approx(60.0)


@pytest.fixture
async def redis_limiter() -> AsyncIterator[RedisRateLimiter]:
    assert TEST_REDIS_URL is not None
    limiter = RedisRateLimiter(TEST_REDIS_URL, f"kopdes-test-{uuid.uuid4().hex[:8]}")
    yield limiter
    await limiter.close()


@needs_redis
async def test_redis_limiter_allows_a_burst_then_refuses(redis_limiter: RedisRateLimiter) -> None:
    rate = Rate(count=5, period=60.0)
    decisions = [await redis_limiter.hit("a", rate) for _ in range(5)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    refused = await redis_limiter.hit("a", rate)
    assert not refused.allowed
    assert 11.0 < refused.retry_after <= 12.0
    assert (await redis_limiter.hit("b", rate)).allowed


@needs_redis
async def test_redis_limiter_recovers_after_the_interval(redis_limiter: RedisRateLimiter) -> None:
    rate = Rate(count=2, period=0.4)
    assert (await redis_limiter.hit("a", rate)).allowed
    assert (await redis_limiter.hit("a", rate)).allowed
    refused = await redis_limiter.hit("a", rate)
    assert not refused.allowed
    import asyncio

    await asyncio.sleep(refused.retry_after + 0.02)
    assert (await redis_limiter.hit("a", rate)).allowed


async def test_unreachable_redis_lets_requests_through() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", "nowhere")
    decision = await limiter.hit("a", Rate(count=1, period=60))
    await limiter.close()
    assert decision.allowed


def test_rates_parse_and_bad_rates_are_refused_by_settings() -> None:
    from pydantic import ValidationError

    from shared.config import Settings

    assert parse_rate("60/minute") == Rate(60, 60.0)
    assert parse_rate("1000 / hour") == Rate(1000, 3600.0)
    assert parse_rate("10/30s") == Rate(10, 30.0)
    with pytest.raises(ValidationError, match="rate_limit_partner"):
        Settings(rate_limit_partner="lots")
    with pytest.raises(ValidationError):
        Settings(rate_limit_anonymous="0/minute")


def _limited(**rates: str) -> dict[str, Any]:
    return {"rate_limit_enabled": True, **{f"rate_limit_{k}": v for k, v in rates.items()}}


QUERY = {"query": "{ __typename }"}


async def test_anonymous_callers_get_429_with_retry_after_past_their_address_limit(
    db: Any,
) -> None:
    # The session's backend: in memory, or Redis when KOPDES_TEST_REDIS_URL is set.
    async with app_client(**_limited(anonymous="3/minute")) as client:
        statuses = [(await client.post("/graphql", json=QUERY)).status_code for _ in range(3)]
        assert statuses == [200, 200, 200]
        refused = await client.post("/graphql", json=QUERY)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) in range(1, 21)
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        # Health checks are not rate limited.
        assert (await client.get("/healthz")).status_code == 200


async def test_keys_have_their_own_budgets_apart_from_the_address(db: Any) -> None:
    _, first = issue(db, Role.partner, name="first")
    _, second = issue(db, Role.partner, name="second")
    async with app_client(**_limited(anonymous="1/minute", partner="2/minute")) as client:
        assert (await client.post("/graphql", json=QUERY)).status_code == 200
        assert (await client.post("/graphql", json=QUERY)).status_code == 429
        for token in (first, second):
            headers = bearer(token)
            codes = [
                (await client.post("/graphql", json=QUERY, headers=headers)).status_code
                for _ in range(3)
            ]
            assert codes == [200, 200, 429]


async def test_a_key_given_a_reused_id_does_not_inherit_the_old_keys_budget(db: Any) -> None:
    from tests.support import truncate_all

    old_id, old = issue(db, Role.partner, name="old")
    async with app_client(**_limited(partner="1/minute")) as client:
        codes = [
            (await client.post("/graphql", json=QUERY, headers=bearer(old))).status_code
            for _ in range(2)
        ]
        assert codes == [200, 429]
        truncate_all(db)  # as a reset or restored database does: ids start again
        new_id, new = issue(db, Role.partner, name="new")
        assert new_id == old_id
        answer = await client.post("/graphql", json=QUERY, headers=bearer(new))
    assert answer.status_code == 200
    assert answer.headers["ratelimit-remaining"] == "0"


async def test_bad_keys_spend_the_address_budget(db: Any) -> None:
    bad = {"Authorization": "Bearer kdp_aaaaaaaaaaaa_" + "A" * 43}
    async with app_client(**_limited(anonymous="2/minute")) as client:
        codes = [
            (await client.post("/graphql", json=QUERY, headers=bad)).status_code for _ in range(3)
        ]
    assert codes == [401, 401, 429]


async def test_rate_limits_can_be_switched_off(db: Any, callers: Callers) -> None:
    async with app_client(rate_limit_enabled=False, rate_limit_anonymous="1/minute") as client:
        codes = [(await client.post("/graphql", json=QUERY)).status_code for _ in range(3)]
    assert codes == [200, 200, 200]
