"""The feed's promise under concurrent writers: a reader polling while several threads
commit receives every change exactly once, in order, with no gap."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import httpx

from shared.cooperatives import service
from shared.models import ChangeEvent
from tests.api.support import STEWARD, Keys
from tests.changes.support import read_feed, seq

WRITERS = 3
COMMITS_EACH = 8


async def test_a_polling_reader_gets_every_concurrent_commit_once_in_order(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], kaltim: Any
) -> None:
    admin = keys.headers("admin")
    _seen, start = await read_feed(client, admin)
    assert start is not None
    targets = [coops["lempake"], coops["paser"], coops["merger"]]  # one writer each
    errors: list[BaseException] = []
    started = threading.Barrier(WRITERS)

    def write(writer: int) -> None:
        rng = random.Random(writer)
        try:
            started.wait()
            for n in range(COMMITS_EACH):
                with kaltim.transaction() as session:
                    name = f"Koperasi uji {writer}-{n}"
                    service.update_cooperative(
                        session, STEWARD, targets[writer], {"notary_name": name}
                    )
                    # Hold the transaction open after the event is numbered: the others wait
                    # on the feed's lock, so their commits cannot overtake this one.
                    time.sleep(rng.uniform(0, 0.03))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    received: list[dict[str, Any]] = []
    cursor: str | None = start
    polls = 0
    while any(t.is_alive() for t in threads) or polls == 0:
        page, cursor = await read_feed(client, admin, cursor, first=5)
        received.extend(page)
        polls += 1
        await asyncio.sleep(0.01)
    for thread in threads:
        thread.join()
    assert errors == []
    tail, cursor = await read_feed(client, admin, cursor)
    received.extend(tail)

    total = WRITERS * COMMITS_EACH
    numbers = [seq(e["cursor"]) for e in received]
    assert numbers == list(range(seq(start) + 1, seq(start) + 1 + total))
    assert all(e["node"]["type"] == "cooperative_updated" for e in received)
    assert polls > 1  # the reader read while the writers wrote
    # Nothing more was stored than the reader received.
    with kaltim.sync_session() as session:
        stored = session.query(ChangeEvent).filter(ChangeEvent.seq > seq(start)).count()
    assert stored == total
