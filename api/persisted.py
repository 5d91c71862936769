"""Automatic persisted queries (Apollo's protocol), over POST and GET.

A client sends ``extensions.persistedQuery = {"version": 1, "sha256Hash": "<hex>"}``
without the query; if the server knows the hash it runs the query it stands for, otherwise it
answers ``PERSISTED_QUERY_NOT_FOUND`` and the client sends the query with the hash once,
which registers it. A hash that is not the SHA-256 of the query sent with it is refused
(``PERSISTED_QUERY_HASH_MISMATCH``), so no one can make a hash stand for another query. Over
GET the request is a short URL a CDN can cache.

Queries are kept in Redis when it is configured (shared by every API process, under the
namespace's ``apq:`` prefix, forgotten after ``PERSISTED_TTL_SECONDS`` unused) and in a
bounded in-process map otherwise; a process also keeps the ones it used last, since a hash
always stands for the same text.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from redis.exceptions import RedisError

from shared.config import Settings

log = logging.getLogger(__name__)

KEPT_IN_PROCESS = 2048
PERSISTED_TTL_SECONDS = 30 * 24 * 3600
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"


class PersistedQueryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def requested_hash(extensions: Any) -> str | None:
    """The hash a request names in ``extensions.persistedQuery``, or None when it names none;
    raises PersistedQueryError for a malformed one."""
    if not isinstance(extensions, dict) or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError(NOT_SUPPORTED, "Only version 1 of persisted queries is known.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or len(digest) != 64:
        raise PersistedQueryError(
            NOT_SUPPORTED, "extensions.persistedQuery.sha256Hash must be 64 hex digits."
        )
    return digest.lower()


class _Recent:
    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, str] = OrderedDict()

    def get(self, digest: str) -> str | None:
        found = self.entries.get(digest)
        if found is not None:
            self.entries.move_to_end(digest)
        return found

    def put(self, digest: str, query: str) -> None:
        self.entries[digest] = query
        self.entries.move_to_end(digest)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)


class PersistedQueries:
    def __init__(self, settings: Settings) -> None:
        self.recent = _Recent(KEPT_IN_PROCESS)
        self.prefix = f"{settings.redis_namespace}:apq:"
        self.redis: Any = None
        if settings.redis_url:
            from redis.asyncio import Redis

            self.redis = Redis.from_url(
                settings.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0
            )

    async def get(self, digest: str) -> str | None:
        found = self.recent.get(digest)
        if found is not None or self.redis is None:
            return found
        try:
            value = await self.redis.get(self.prefix + digest)
            if value is not None:
                await self.redis.expire(self.prefix + digest, PERSISTED_TTL_SECONDS)
        except (RedisError, OSError) as exc:
            log.warning("persisted queries unavailable in Redis: %s", exc)
            return None
        if value is None:
            return None
        query = value.decode() if isinstance(value, bytes) else str(value)
        self.recent.put(digest, query)
        return query

    async def put(self, digest: str, query: str) -> None:
        if self.recent.get(digest) == query:
            return
        self.recent.put(digest, query)
        if self.redis is None:
            return
        try:
            await self.redis.set(self.prefix + digest, query, ex=PERSISTED_TTL_SECONDS)
        except (RedisError, OSError) as exc:
            log.warning("could not keep a persisted query in Redis: %s", exc)

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
