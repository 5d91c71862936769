"""``viewer`` over HTTP, and a key sent in a websocket's connection_init (as browsers must)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport

from shared.models import Role
from tests.access.support import Callers, app_client, bearer, issue
from tests.support import gql

VIEWER = """{ viewer { role keyName keyPrefix provinceCode expiresAt queryCostBudget
  rateLimit { limit periodSeconds remaining } } }"""
DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"


async def test_viewer_tells_each_caller_its_role_scope_key_and_budget(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    anonymous = (await gql(client, VIEWER))["data"]["viewer"]
    assert anonymous == {
        "role": "ANONYMOUS",
        "keyName": None,
        "keyPrefix": None,
        "provinceCode": None,
        "expiresAt": None,
        "queryCostBudget": 10_000,
        "rateLimit": None,  # the test session switches rate limits off
    }
    partner = (await gql(client, VIEWER, headers=callers.headers("partner64")))["data"]["viewer"]
    assert (partner["role"], partner["keyName"], partner["provinceCode"]) == (
        "PARTNER",
        "kaltim",
        "64",
    )
    assert callers.tokens["partner64"].startswith(f"kdp_{partner['keyPrefix']}_")
    assert partner["queryCostBudget"] == 25_000
    for name, role in (("operations", "OPERATIONS"), ("admin", "ADMIN")):
        answer = (await gql(client, VIEWER, headers=callers.headers(name)))["data"]["viewer"]
        assert (answer["role"], answer["provinceCode"], answer["expiresAt"]) == (role, None, None)


async def test_viewer_shows_when_a_key_expires(client: httpx.AsyncClient, db: Any) -> None:
    expires = datetime.now(UTC) + timedelta(days=30)
    _, token = issue(db, Role.operations, name="ops-30d", expires_at=expires)
    answer = (await gql(client, VIEWER, headers=bearer(token)))["data"]["viewer"]
    shown = datetime.fromisoformat(answer["expiresAt"])
    assert abs((shown - expires).total_seconds()) < 1


async def test_viewer_counts_down_the_remaining_rate_limit(db: Any) -> None:
    from shared.config import get_settings

    _, token = issue(db, Role.partner, name="counted")
    limits = {"rate_limit_enabled": True, "rate_limit_partner": "5/minute"}
    # Key ids restart with each test: on Redis, counters of its own (removed with the session's).
    fresh = f"{get_settings().redis_namespace}:viewer-test"
    async with app_client(**limits, rate_limit_anonymous="7/hour", redis_namespace=fresh) as client:
        first = (await gql(client, VIEWER, headers=bearer(token)))["data"]["viewer"]
        second = (await gql(client, VIEWER, headers=bearer(token)))["data"]["viewer"]
        anonymous = (await gql(client, VIEWER))["data"]["viewer"]
    assert first["rateLimit"] == {"limit": 5, "periodSeconds": 60.0, "remaining": 4}
    assert second["rateLimit"]["remaining"] == 3
    assert anonymous["rateLimit"] == {"limit": 7, "periodSeconds": 3600.0, "remaining": 6}


@asynccontextmanager
async def _graphql_socket(headers: dict[str, str] | None = None) -> AsyncIterator[Any]:
    from api.app import create_app

    app = create_app(start_embedded_worker=False)
    transport = ASGIWebSocketTransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as ws_client:
        # httpx-ws leaves its session type generic; Any keeps mypy quiet about it.
        connection: Any = aconnect_ws(
            "http://testserver/graphql",
            ws_client,
            subprotocols=["graphql-transport-ws"],
            headers=headers or {},
        )
        async with connection as ws:
            yield ws


SUBSCRIBE = "subscription($id: ID!) { importJob(id: $id) { status finished } }"


async def _finished_job(db: Any) -> str:
    from api.schema.common import global_id
    from shared.villages.service import EditionInfo, import_now

    job = import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    return str(global_id("ImportJob", job.id))


async def _subscribe(ws: Any, job_id: str) -> list[dict[str, Any]]:
    await ws.send_json(
        {
            "id": "1",
            "type": "subscribe",
            "payload": {"query": SUBSCRIBE, "variables": {"id": job_id}},
        }
    )
    frames = []
    while True:
        message = await ws.receive_json(timeout=30)
        frames.append(message)
        if message["type"] in ("complete", "error"):
            return frames


async def test_a_key_in_connection_init_authenticates_a_browser_websocket(
    db: Any, callers: Callers
) -> None:
    job_id = await _finished_job(db)
    async with _graphql_socket() as ws:
        await ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {callers.tokens['operations']}"},
            }
        )
        assert (await ws.receive_json())["type"] == "connection_ack"
        frames = await _subscribe(ws, job_id)
    assert frames[0]["type"] == "next"
    assert frames[0]["payload"]["data"]["importJob"] == {"status": "succeeded", "finished": True}
    assert frames[-1]["type"] == "complete"


async def test_a_websocket_without_a_key_or_with_a_low_role_is_refused_the_job(
    db: Any, callers: Callers
) -> None:
    job_id = await _finished_job(db)
    for payload, code in (
        ({}, "UNAUTHENTICATED"),
        ({"Authorization": f"Bearer {callers.tokens['partner']}"}, "FORBIDDEN"),
    ):
        async with _graphql_socket() as ws:
            await ws.send_json({"type": "connection_init", "payload": payload})
            assert (await ws.receive_json())["type"] == "connection_ack"
            frames = await _subscribe(ws, job_id)
        assert frames[-1]["type"] == "error", frames
        assert frames[-1]["payload"][0]["extensions"]["code"] == code


@pytest.mark.parametrize(
    ("case", "payload"),
    [
        ("revoked", {"Authorization": "Bearer {revoked}"}),
        ("expired", {"Authorization": "Bearer {expired}"}),
        ("malformed", {"Authorization": "Basic abc"}),
        ("not text", {"Authorization": 42}),
    ],
)
async def test_a_bad_key_in_connection_init_closes_the_websocket(
    db: Any, callers: Callers, case: str, payload: dict[str, Any]
) -> None:
    value = payload["Authorization"]
    if isinstance(value, str):
        payload = {"Authorization": value.format(**callers.tokens)}
    async with _graphql_socket() as ws:
        await ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=10)
    assert closed.value.code == 4403, case


async def test_a_connection_init_key_may_not_replace_the_headers_key(
    db: Any, callers: Callers
) -> None:
    async with _graphql_socket(callers.headers("partner")) as ws:
        await ws.send_json(
            {
                "type": "connection_init",
                "payload": {"Authorization": f"Bearer {callers.tokens['admin']}"},
            }
        )
        with pytest.raises(WebSocketDisconnect) as closed:
            await ws.receive_json(timeout=10)
    assert closed.value.code == 4403
