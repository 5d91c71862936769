"""The data versions a request's cached answer is keyed by, read once for many requests.

A cached answer may be served only if no change committed before the request arrived: so
every request needs a read of ``data_state`` that *started* after it arrived. Requests that
arrive while a read is in flight share the next one, so under load one small statement serves
every request that came during the one before, and a change is seen by the next request
after its commit, in every process.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from api.loaders import Versions
from shared.db import Database
from shared.models import DataState

_STATEMENT = select(
    DataState.data_version,
    DataState.coverage_version,
    DataState.coverage_computed_at,
    DataState.changed_at,
).where(DataState.id == 1)


class VersionClock:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._next: asyncio.Future[Versions] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def read(self) -> Versions:
        """Versions read after this call began."""
        loop = asyncio.get_running_loop()
        if self._next is None or self._next.get_loop() is not loop:
            self._next = loop.create_future()
        waiting = self._next
        if self._reader is None or self._reader.done() or self._reader.get_loop() is not loop:
            self._reader = loop.create_task(self._run())
        return await asyncio.shield(waiting)

    async def _run(self) -> None:
        while self._next is not None:
            waiting, self._next = self._next, None
            try:
                found = await self._query()
            except Exception as exc:
                if not waiting.done():
                    waiting.set_exception(exc)
                    waiting.exception()  # retrieved by the waiters; no "never retrieved"
            else:
                if not waiting.done():
                    waiting.set_result(found)

    async def _query(self) -> Versions:
        async with self.db.async_engine.connect() as conn:
            row = (await conn.execute(_STATEMENT)).first()
        if row is None:
            return Versions(0, -1, None)
        return Versions(int(row[0]), int(row[1]), row[2], row[3])
