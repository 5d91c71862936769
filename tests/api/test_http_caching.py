"""HTTP caching of answers that depend only on the data versions: ETag, 304, Cache-Control,
Vary, compression of cached and uncached answers, and a data change seen at once."""

from __future__ import annotations

import gzip
from typing import Any

import brotli
import httpx

from tests.api.support import LEMPAKE, STEWARD, Keys

VILLAGE = (
    "query($code: String!) { region(code: $code) { name"
    " ... on Village { cooperatives { name } } } }"
)
BIG = "{ regions(level: village, first: 100) { edges { node { code name } } } }"


async def _post(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )


async def test_an_unchanged_answer_revalidates_to_304_and_a_data_change_gives_a_new_etag(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    variables = {"code": LEMPAKE}
    first = await _post(client, VILLAGE, variables)
    assert first.status_code == 200
    assert first.json()["data"]["region"] == {"name": "Lempake", "cooperatives": []}
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=30"
    assert first.headers["vary"].split(", ")[:3] == ["Authorization", "Accept", "Accept-Encoding"]

    again = await _post(client, VILLAGE, variables, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other_village = await _post(
        client, VILLAGE, {"code": "64.72.05.1001"}, headers={"if-none-match": etag}
    )
    assert other_village.status_code == 200  # other variables, another answer and tag

    from shared.cooperatives import service

    with kaltim.transaction() as session:
        service.register_cooperative(
            session, STEWARD, name="Koperasi Kelurahan Merah Putih Lempake", village_codes=[LEMPAKE]
        )
    changed = await _post(client, VILLAGE, variables, headers={"if-none-match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["data"]["region"]["cooperatives"] == [
        {"name": "Koperasi Kelurahan Merah Putih Lempake"}
    ]
    over_get = await client.get(
        "/graphql",
        params={"query": VILLAGE, "variables": '{"code": "64.72.05.1003"}'},
        headers={"if-none-match": changed.headers["etag"]},
    )
    assert over_get.status_code == 304


async def test_keyed_answers_are_private_and_uncacheable_queries_are_not_stored(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    keyed = await _post(client, VILLAGE, {"code": LEMPAKE}, headers=keys.headers("partner"))
    assert keyed.headers["cache-control"] == "private, max-age=30"
    anonymous = await _post(client, VILLAGE, {"code": LEMPAKE})
    assert anonymous.headers["etag"] != keyed.headers["etag"]  # the role is in the key
    viewer = await _post(client, "{ viewer { role } }", headers=keys.headers("partner"))
    assert viewer.headers["cache-control"] == "no-store"
    assert "etag" not in viewer.headers


async def test_big_answers_are_compressed_small_ones_are_not(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    plain = await _post(client, BIG, headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert len(plain.content) > 1024
    tags = {plain.headers["etag"]}
    for encoding, decompress in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        async with client.stream(
            "POST", "/graphql", json={"query": BIG}, headers={"accept-encoding": encoding}
        ) as response:
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
        assert response.headers["content-encoding"] == encoding
        assert decompress(raw) == plain.content
        assert len(raw) < len(plain.content) / 3
        tags.add(response.headers["etag"])
    assert len(tags) == 3  # one strong tag per representation
    small = await _post(client, "{ __typename }", headers={"accept-encoding": "gzip, br"})
    assert "content-encoding" not in small.headers
    # An answer that is not cached (introspection) is compressed on its way out all the same.
    uncached = await _post(
        client, "{ __schema { types { name } } }", headers={"accept-encoding": "gzip"}
    )
    assert uncached.headers["cache-control"] == "no-store"
    assert uncached.headers["content-encoding"] == "gzip"
    assert uncached.json()["data"]["__schema"]["types"]


async def test_concurrent_misses_compute_once_and_typename_reads_nothing(
    client: httpx.AsyncClient, kaltim: Any, statements: list[str], monkeypatch: Any
) -> None:
    import asyncio

    import api.loaders

    calls: list[list[str]] = []
    real = api.loaders._coverage

    async def counted(ctx: Any, codes: list[str]) -> Any:
        calls.append(codes)
        await asyncio.sleep(0.05)  # long enough for the others to arrive meanwhile
        return await real(ctx, codes)

    monkeypatch.setattr(api.loaders, "_coverage", counted)
    query = "{ nationalCoverage { activeVillages } }"
    answers = await asyncio.gather(*(_post(client, query) for _ in range(5)))
    assert len(calls) == 1
    assert {a.headers["etag"] for a in answers} == {answers[0].headers["etag"]}
    assert {a.content for a in answers} == {answers[0].content}
    statements.clear()
    typename = await _post(client, "{ __typename }")
    assert typename.json() == {"data": {"__typename": "Query"}, "extensions": {"cost": 0}}
    assert "etag" in typename.headers
    assert statements == []


async def test_a_cacheable_query_without_a_database_is_a_masked_error_not_a_500(
    db: Any, caplog: Any
) -> None:
    from api.app import create_app
    from shared.config import get_settings
    from shared.db import Database

    settings = get_settings().model_copy(
        update={"database_url": "postgresql://nobody@127.0.0.1:1/nothing"}
    )
    broken = Database(settings)
    app = create_app(settings, broken, start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await _post(client, "{ provinces { code } }")
    await broken.dispose()
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert response.headers["cache-control"] == "no-store"
    assert any("data versions unreadable" in r.getMessage() for r in caplog.records)
