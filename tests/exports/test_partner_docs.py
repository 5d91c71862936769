"""docs/partners.md stays true: its page sizes are what the cost guard allows, its field
reference names every profile field, its example query runs, and its sync client keeps a
copy through an export and the change feed against a live server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from graphql import GraphQLObjectType, OperationDefinitionNode, get_named_type, parse

from api.guards import estimate_cost
from api.schema import schema
from shared.config import get_settings
from shared.cooperatives import service
from tests.api.support import STEWARD, Keys, make_keys, seed_cooperatives
from tests.reliability.processes import free_port, kopdes, wait_http
from tests.support import TEST_REDIS_URL, gql

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "partners.md"
QUERY = ROOT / "docs" / "examples" / "profile_query.graphql"
CLIENT = ROOT / "docs" / "examples" / "sync_client.py"
ROLES = {"partner": "partner", "operations": "operations", "administrator": "admin"}


def largest_page(role: str) -> int:
    settings = get_settings()
    operation = next(
        d for d in parse(QUERY.read_text()).definitions if isinstance(d, OperationDefinitionNode)
    )
    budget = getattr(settings, f"query_cost_{role}")
    fits = [
        n
        for n in range(1, settings.max_page_size + 1)
        if estimate_cost(schema._schema, operation, {}, {"first": n}, settings.max_page_size)
        <= budget
    ]
    return max(fits, default=0)


def test_the_documented_page_sizes_are_what_the_cost_budgets_allow() -> None:
    table = {
        m[1]: (int(m[2].replace(",", "")), int(m[3]))
        for m in re.finditer(r"^\| (\w+) \| ([\d,]+) \| (\d+) \|$", DOC.read_text(), re.M)
    }
    settings = get_settings()
    assert table == {
        name: (getattr(settings, f"query_cost_{role}"), largest_page(role))
        for name, role in ROLES.items()
    }


def test_the_field_reference_names_every_profile_field() -> None:
    text = DOC.read_text()
    cooperative = schema._schema.type_map["Cooperative"]
    assert isinstance(cooperative, GraphQLObjectType)
    for name, field in cooperative.fields.items():
        assert f"| `{name}` |" in text, name
        inner = get_named_type(field.type)
        if isinstance(inner, GraphQLObjectType) and name != "villages":
            for sub in inner.fields:
                assert f"`{sub}`" in text, f"{name}.{sub}"


async def test_the_example_query_runs_at_the_documented_page_size(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int]
) -> None:
    body = await gql(
        client,
        QUERY.read_text(),
        {"first": largest_page("partner")},
        headers=keys.headers("partner"),
    )
    page = body["data"]["cooperatives"]
    assert page["totalCount"] == 3
    assert page["edges"][0]["node"]["officers"][0]["name"] == "Siti Aminah"


def test_the_sync_client_keeps_a_copy_from_an_export_and_the_feed(
    kaltim: Any, tmp_path: Path
) -> None:
    coops = seed_cooperatives(kaltim)
    token = make_keys(kaltim).tokens["partner64"]
    port = free_port()
    env = {
        **os.environ,
        "KOPDES_IMPORT_BUNDLED_ON_START": "false",
        "KOPDES_LOG_LEVEL": "WARNING",
        "KOPDES_WORKER_METRICS": "false",
    }
    state = tmp_path / "copy.json"

    def run_client() -> dict[str, Any]:
        done = subprocess.run(
            [
                sys.executable,
                str(CLIENT),
                "--url",
                f"http://127.0.0.1:{port}",
                "--key",
                token,
                "--state",
                str(state),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    with ExitStack() as stack:
        stack.enter_context(
            kopdes(["serve", "--port", str(port), "--no-migrate"], env, tmp_path / "serve.log")
        )
        if TEST_REDIS_URL:
            stack.enter_context(
                kopdes(["worker", "--processes", "1", "--threads", "2"], env, tmp_path / "w.log")
            )
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=120)
        assert run_client() == {"cooperatives": 3, "events": 0}
        with kaltim.transaction() as session:
            service.update_cooperative(
                session, STEWARD, coops["paser"], {"npwp": "912345678901234"}
            )
        second = run_client()
    assert second["cooperatives"] == 3
    assert second["events"] >= 1
    copy = json.loads(state.read_text())
    assert copy["profiles"][str(coops["paser"])]["npwp"] == "912345678901234"
    assert copy["profiles"][str(coops["lempake"])]["officers"] == [
        "chair: Siti Aminah",
        "treasurer: Budi",
    ]
