"""A fuzzing run of the GraphQL API: schemathesis (hypothesis-graphql) generates queries and
mutations from the exported schema, with random arguments; each goes over HTTP with an admin
key (every field reachable) and without one. Zero 5xx and zero INTERNAL_SERVER_ERROR allowed.

Cases are drawn first and sent afterwards, because the HTTP client is async and hypothesis'
``@given`` is not; shrinking is traded for that, the failing query is printed whole instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis.graphql as st_graphql
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.models import Role
from shared.villages.service import EditionInfo, import_now
from tests.hostile.support import bearer, error_codes, token

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
KALTIM = ROOT / "tests" / "data" / "wilayah" / "2025-64"
EXAMPLES = 250

# Custom scalars: plausible and implausible values in the shape the server parses.
_TEXT = st.text(max_size=12)
st_graphql.scalar(
    "Date", st.one_of(st.dates().map(lambda d: d.isoformat()), _TEXT).map(st_graphql.nodes.String)
)
st_graphql.scalar(
    "DateTime",
    st.one_of(st.datetimes().map(lambda d: d.isoformat()), _TEXT).map(st_graphql.nodes.String),
)
st_graphql.scalar("JSON", _TEXT.map(st_graphql.nodes.String))
st_graphql.scalar("Upload", st.just(st_graphql.nodes.Null))


def draw_queries(count: int) -> list[str]:
    schema = st_graphql.from_path(ROOT / "schema.graphql")
    drawn: list[str] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=schema.as_strategy())
    def collect(case: Any) -> None:
        drawn.append(str(case.body))

    collect()
    return drawn


def test_schema_file_has_every_root_field_to_fuzz() -> None:
    schema = st_graphql.from_path(ROOT / "schema.graphql")
    labels = {result.ok().label for result in schema.get_all_operations()}  # type: ignore[union-attr]
    assert {"Query.region", "Query.cooperatives", "Mutation.registerCooperative"} <= labels


async def test_fuzzed_operations_never_cause_a_server_error(
    client: httpx.AsyncClient, db: Any
) -> None:
    job = import_now(db, [KALTIM], edition=EditionInfo(label="2025"))
    assert job.status == "succeeded", job.message
    callers = {"admin": bearer(token(db, Role.admin)), "anonymous": {}}
    queries = draw_queries(EXAMPLES)
    assert len(set(queries)) > EXAMPLES // 2  # the generator really varies
    failures: list[str] = []
    for number, query in enumerate(queries):
        headers = callers["anonymous" if number % 5 == 4 else "admin"]
        response = await client.post("/graphql", json={"query": query}, headers=headers)
        codes = error_codes(response.json()) if response.status_code < 500 else []
        if response.status_code >= 500 or "INTERNAL_SERVER_ERROR" in codes:
            failures.append(f"{response.status_code} {response.text[:300]}\n{query}")
        for code in codes:
            assert code != "None", (query, response.text[:300])
    assert not failures, "\n\n".join(failures[:5])
