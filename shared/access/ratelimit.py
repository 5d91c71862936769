"""Rate limiting with GCRA (the generic cell rate algorithm), in memory or in Redis.

GCRA keeps one number per client, the "theoretical arrival time", and allows a burst of up to
the whole limit followed by an even pace; unlike fixed windows it never lets twice the limit
through around a window boundary. The embedded runtime (one process) counts in memory; with
Redis every API process shares the counts through one atomic script.

If Redis cannot be reached the limiter lets requests through and logs it: an outage of the
limiter should not become an outage of the API.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from shared.rates import Rate, parse_rate

if TYPE_CHECKING:
    from shared.config import Settings
    from shared.models import Role

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # seconds until the next request would be allowed; 0 when allowed
    reset_after: float = 0.0  # seconds until the whole budget is available again
    counted: bool = True  # False when the limiter could not count (Redis down: let through)

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))

    def headers(self) -> dict[str, str]:
        """``RateLimit-Limit``, ``-Remaining`` and ``-Reset`` (seconds), as the IETF draft
        (draft-ietf-httpapi-ratelimit-headers) names them."""
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(math.ceil(self.reset_after - 1e-9)),
        }


class RateLimiter(Protocol):
    async def hit(self, key: str, rate: Rate) -> Decision: ...

    async def close(self) -> None: ...


def _gcra(stored_tat: float | None, now: float, rate: Rate) -> tuple[Decision, float | None]:
    """The decision and the new arrival time to store (None: store nothing).

    The test compares how far the arrival time runs ahead of now (exactly 0 for a client with
    a full budget) with the burst allowance, never ``now`` with ``tat + interval - period``:
    that sum rounds (``(now + 60) - 60`` can exceed ``now`` when ``now + 60`` crosses a power
    of two), which refused the very first request of a one-a-period limit now and then.
    """
    tat = max(stored_tat if stored_tat is not None else now, now)
    ahead = tat - now
    allowance = rate.period - rate.interval
    if ahead > allowance:
        return Decision(False, rate.count, 0, ahead - allowance, ahead), None
    remaining = int((allowance - ahead) / rate.interval + 1e-9)
    return Decision(True, rate.count, remaining, 0.0, ahead + rate.interval), tat + rate.interval


class MemoryRateLimiter:
    """Counts in this process (embedded runtime). Called from the event loop only."""

    MAX_KEYS = 100_000

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._tat: dict[str, float] = {}
        self._clock = clock or time.monotonic

    async def hit(self, key: str, rate: Rate) -> Decision:
        now = self._clock()
        decision, new_tat = _gcra(self._tat.get(key), now, rate)
        if new_tat is not None:
            if len(self._tat) >= self.MAX_KEYS:
                self._prune(now)
            self._tat[key] = new_tat
        return decision

    def _prune(self, now: float) -> None:
        # An arrival time in the past means a full budget: forgetting it changes nothing.
        self._tat = {k: v for k, v in self._tat.items() if v > now}

    async def close(self) -> None:
        self._tat.clear()


# Redis's own clock, so API processes on different hosts agree. Floats travel as strings
# because Lua numbers returned to Redis are truncated to integers. The same test as _gcra.
_GCRA_SCRIPT = """
local period = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local ahead = tat - now
local allowance = period - interval
if ahead > allowance then
  return {0, tostring(ahead - allowance), 0, tostring(ahead)}
end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.ceil((ahead + interval) * 1000))
return {1, '0', math.floor((allowance - ahead) / interval + 0.000000001),
        tostring(ahead + interval)}
"""


class RedisRateLimiter:
    """Counts in Redis, shared by every API process."""

    def __init__(self, url: str, namespace: str) -> None:
        from redis.asyncio import Redis

        # Typed loosely: the installed stubs predate redis-py's asyncio API (aclose).
        self._client: Any = Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._prefix = f"{namespace}:ratelimit:"
        self._script = self._client.register_script(_GCRA_SCRIPT)

    async def hit(self, key: str, rate: Rate) -> Decision:
        from redis.exceptions import RedisError

        try:
            allowed, retry_after, remaining, reset_after = await self._script(
                keys=[self._prefix + key], args=[repr(rate.period), repr(rate.interval)]
            )
        except (RedisError, OSError) as exc:
            log.warning("rate limiter unavailable, letting the request through: %s", exc)
            return Decision(True, rate.count, rate.count, 0.0, counted=False)
        return Decision(
            bool(allowed), rate.count, int(remaining), float(retry_after), float(reset_after)
        )

    async def close(self) -> None:
        await self._client.aclose()


def build_rate_limiter(settings: Settings) -> RateLimiter:
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url, settings.redis_namespace)
    return MemoryRateLimiter()


def rate_for(settings: Settings, role: Role) -> Rate:
    """The configured rate of a role (anonymous: per client address; others: per key)."""
    value: str = getattr(settings, f"rate_limit_{role.value}")
    return parse_rate(value)
