"""Compiled plans (api.plans), through HTTP: the answers the general path gives, from one
statement on PostgreSQL; the general path for what a plan does not cover, for values it
refuses, and when the plan's statement fails. SQLite runs the general path only."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from shared.config import Settings, get_settings
from tests.api.support import STEWARD

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

VILLAGE = "__typename id code name level kind customary retired"
COOPERATIVE = f"""__typename id databaseId registryId name kind scheme stage isMockup version
    villages {{ {VILLAGE} }}"""
PAGE = """query Page($region: String, $first: Int, $after: String) {
  cooperatives(first: $first, after: $after, filter: {regionCode: $region}) {
    __typename totalCount
    pageInfo { __typename hasNextPage hasPreviousPage startCursor endCursor }
    edges { __typename cursor node { id name kind villages { code name kind } } }
  }
}"""
PROFILE = f"query Profile($id: ID!) {{ cooperative(id: $id) {{ {COOPERATIVE} }} }}"
FRAGMENTS = """query Two($id: ID!, $region: String) {
  one: cooperative(id: $id) { ...Card ... on Cooperative { registryId } }
  same: cooperative(id: $id) { name }
  regency: cooperatives(first: 5, filter: {regionCode: $region}) {
    count: totalCount edges { node { ...Card } } }
  all: cooperatives(first: 2) { totalCount pageInfo { hasNextPage endCursor } }
}
fragment Card on Cooperative { key: id name villages { ... on Village { code retired } } }"""

# Planned on PostgreSQL: (query, variables).
PLANNED: list[tuple[str, dict[str, Any]]] = [
    (PROFILE, {"id": "{merger}"}),
    (PROFILE, {"id": "{first}"}),
    (PROFILE, {"id": "{first_number}"}),  # a bare number is an id too
    (PROFILE, {"id": "Q29vcGVyYXRpdmU6OTk5OTk5OQ"}),  # Cooperative:9999999, none: null
    (FRAGMENTS, {"id": "{merger}", "region": "64.03"}),
    (PAGE, {"region": "64", "first": 100}),
    (PAGE, {"region": "64.02", "first": 100}),
    (PAGE, {"region": " 64.03.04 ", "first": 3}),  # a district, the code trimmed
    (PAGE, {"region": "64.03.04.2012", "first": 3}),  # a village (the merger's)
    (PAGE, {"region": "99", "first": 10}),  # no such province: an empty page
    (PAGE, {"region": "", "first": 10}),  # no filter
    (PAGE, {"region": "64.02", "first": 0}),
    (PAGE, {"region": "64.02"}),  # the default page size
    (PAGE, {"region": "64.02", "first": 7, "after": "{cursor}"}),
    # Filters from short lists, compiled into the statement.
    (
        """{ cooperatives(first: 5, filter: {regionCode: "64", stage: legal_entity,
        isMockup: false}) { totalCount edges { node { id stage isMockup } } } }""",
        {},
    ),
    (
        """{ cooperatives(first: 5, filter: {kind: kkmp, outletType: grocery}) {
        totalCount pageInfo { hasNextPage } edges { node { name kind scheme } } } }""",
        {},
    ),
    (
        """{ cooperatives(first: 5, filter: {financingReady: false, regionCode: "64.71"}) {
        totalCount edges { cursor } } }""",
        {},
    ),
]
# The general path, planned or not: what a plan does not cover, and values it refuses.
GENERAL: list[tuple[str, dict[str, Any]]] = [
    ("query($id: ID!) { cooperative(id: $id) { name updatedAt } }", {"id": "{first}"}),
    ("query($id: ID!) { cooperative(id: $id) { name outlets { type } } }", {"id": "{first}"}),
    ("query($id: ID!) { cooperative(id: $id) { name @include(if: true) } }", {"id": "{first}"}),
    ("{ cooperatives(first: 3, filter: {stage: registered}) { totalCount } }", {}),
    ("{ cooperatives(first: 3, orderBy: NAME) { edges { cursor } } }", {}),
    ('{ cooperatives(first: 3, filter: {search: "Lempake"}) { totalCount } }', {}),
    ("{ cooperatives(first: 1) { totalCount } regions(level: PROVINCE) { code } }", {}),
    (PROFILE, {"id": "not-an-id"}),  # BAD_USER_INPUT
    (PROFILE, {"id": "UmVnaW9uOjY0"}),  # Region:64, not a cooperative's id
    (PROFILE, {}),  # a missing variable
    (PAGE, {"region": "64", "first": 100_000}),  # over the page limit
    (PAGE, {"region": "64", "after": "garbage"}),  # not a cursor
    (PAGE, {"region": "64", "first": "ten"}),  # not an Int
    (PAGE, {"region": "6" * 40, "first": 1}),  # longer than any code
]


@pytest.fixture
def demo(db: Any) -> dict[str, str]:
    """Kaltim's demo (1,037 cooperatives, a merger) and the ids the cases name."""
    import cli.registry  # noqa: F401  (registers the commands)
    from cli.app import app
    from tests.registry.support import load_villages

    load_villages(db)
    result = CliRunner().invoke(app, ["demo", "kaltim"])
    assert result.exit_code == 0, result.output
    with db.sync_session() as session:
        from sqlalchemy import text

        first = session.execute(text("SELECT min(id) FROM cooperatives")).scalar_one()
        merger = session.execute(
            text(
                "SELECT cooperative_id FROM cooperative_villages GROUP BY cooperative_id"
                " HAVING count(*) > 1 ORDER BY cooperative_id LIMIT 1"
            )
        ).scalar_one()
    from api.pagination import encode_cursor
    from api.schema.common import global_id

    return {
        "first": str(global_id("Cooperative", first)),
        "first_number": str(first),
        "merger": str(global_id("Cooperative", merger)),
        "cursor": encode_cursor([first + 40]),
    }


def _filled(variables: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    return {
        name: value.format(**ids) if isinstance(value, str) and "{" in value else value
        for name, value in variables.items()
    }


@pytest.fixture
async def clients(db: Any) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """The app with compiled plans (as configured) and the same app without them."""
    settings: Settings = get_settings()
    planned = create_app(start_embedded_worker=False)
    general = create_app(
        settings.model_copy(update={"compiled_plans": False}), start_embedded_worker=False
    )
    async with (
        planned.router.lifespan_context(planned),
        general.router.lifespan_context(general),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=planned), base_url="http://t") as a,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=general), base_url="http://t") as b,
    ):
        yield a, b


async def _ask(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, query: str, variables: Any
) -> tuple[int, dict[str, Any], str | None]:
    """Status, answer and the access line's ``plan`` of one POST."""
    caplog.clear()
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    lines = [r for r in caplog.records if r.name == "kopdes.access"]
    assert len(lines) == 1
    return response.status_code, json.loads(response.content), getattr(lines[0], "plan", None)


async def test_a_plan_answers_what_the_general_path_answers(
    demo: dict[str, str],
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="kopdes.access")
    planned, general = clients
    on_postgres = not get_settings().is_sqlite
    for query, template in PLANNED + GENERAL:
        variables = _filled(template, demo)
        status, answer, plan = await _ask(planned, caplog, query, variables)
        expected_status, expected, none = await _ask(general, caplog, query, variables)
        case = f"{query[:60]!r} {variables}"
        assert none is None, case
        assert (status, answer) == (expected_status, expected), case
        compiled = on_postgres and (query, template) in PLANNED
        assert plan == ("compiled" if compiled else None), case
    # The cases are not vacuous: pages with items, the merger's two villages, an error.
    _, page, _ = await _ask(planned, caplog, PAGE, {"region": "64.02", "first": 100})
    connection = page["data"]["cooperatives"]
    assert len(connection["edges"]) == 100
    assert connection["totalCount"] > 100
    assert connection["pageInfo"]["hasNextPage"] is True
    _, profile, _ = await _ask(planned, caplog, PROFILE, {"id": demo["merger"]})
    assert len(profile["data"]["cooperative"]["villages"]) == 2
    for filtered, _variables in PLANNED[-3:]:
        _, answer, _ = await _ask(planned, caplog, filtered, {})
        assert answer["data"]["cooperatives"]["totalCount"] > 0, filtered
    _, refused, _ = await _ask(planned, caplog, PROFILE, {"id": "not-an-id"})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_changed_row_is_answered_at_once(
    db: Any,
    coops: dict[str, int],
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Plans keep no answers: the next request after a commit reads it."""
    from api.schema.common import global_id
    from shared.cooperatives import service

    caplog.set_level(logging.INFO, logger="kopdes.access")
    planned, _ = clients
    some = next(iter(coops.values()))
    query = "query($id: ID!) { cooperative(id: $id) { name version } }"
    variables = {"id": str(global_id("Cooperative", some))}
    _, before, _ = await _ask(planned, caplog, query, variables)
    with db.transaction() as session:
        service.update_cooperative(session, STEWARD, some, {"name": "Koperasi Baru"})
    _, after, plan = await _ask(planned, caplog, query, variables)
    assert after["data"]["cooperative"]["name"] == "Koperasi Baru"
    assert after["data"]["cooperative"]["version"] == before["data"]["cooperative"]["version"] + 1
    assert plan == (None if get_settings().is_sqlite else "compiled")


async def test_a_failed_statement_falls_back_to_the_general_path(
    db: Any,
    coops: dict[str, int],
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The plan's connections killed by the server: that request is answered by the general
    path (and says why in the log), the next one by the plan on a new connection."""
    from sqlalchemy import text

    from api.schema.common import global_id

    caplog.set_level(logging.INFO)
    planned, _ = clients
    query = "query($id: ID!) { cooperative(id: $id) { id name } }"
    some = next(iter(coops.values()))
    variables = {"id": str(global_id("Cooperative", some))}
    _, first, plan = await _ask(planned, caplog, query, variables)
    if get_settings().is_sqlite:
        assert plan is None  # SQLite: the general path only
        return
    assert plan == "compiled"
    with db.sync_engine.connect() as conn:
        killed = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = 'kopdes-plans' AND datname = current_database()"
            )
        ).scalar_one()
    assert killed >= 1
    status, answer, plan = await _ask(planned, caplog, query, variables)
    assert (status, answer, plan) == (200, first, None)
    assert any("compiled plan failed" in r.getMessage() for r in caplog.records)
    _, again, plan = await _ask(planned, caplog, query, variables)
    assert (again, plan) == (first, "compiled")


async def test_an_unreachable_database_pauses_plans_instead_of_making_requests_wait(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No connection within CONNECT_WAIT: that request goes to the general path, and so do
    the next ones at once, without waiting for a connection, until the pause is over."""
    import socket
    import time

    from api import plans

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runner = plans.PlanRunner(f"postgresql://postgres@127.0.0.1:{port}/none")
    started = time.monotonic()
    assert await runner.run("SELECT '{}'", {}) is None
    waited = time.monotonic() - started
    assert plans.CONNECT_WAIT - 0.5 <= waited < plans.CONNECT_WAIT + 5
    assert any("compiled plans paused" in r.getMessage() for r in caplog.records)
    started = time.monotonic()
    assert await runner.run("SELECT '{}'", {}) is None
    assert time.monotonic() - started < 0.05
    await runner.close()
