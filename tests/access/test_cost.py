"""The honest cost: an upper bound of the objects an answer can hold, from real bounds, in
every answer's ``extensions.cost``; the national dashboard fits the anonymous budget, pages
of 500 inside pages of 500 do not."""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from api.guards import CHILDREN_BOUND, PROVINCES

BUNDLED = Path(__file__).resolve().parents[2] / "shared" / "data" / "wilayah" / "wilayah-2025.zip"
COVERAGE = "activeVillages coveredVillages coveragePercent stale"
DASHBOARD = f"""query Dashboard {{
  provinces {{
    code name coverage {{ {COVERAGE} }}
    children(first: 100) {{ edges {{ node {{ code name coverage {{ {COVERAGE} }} }} }} }}
  }}
}}"""
NESTED_PAGES = """{ regions(level: district, first: 500) { edges { node {
  children(first: 500) { edges { node { code } } } } } } }"""


def test_the_bounds_are_those_of_the_bundled_official_list() -> None:
    with zipfile.ZipFile(BUNDLED) as archive:

        def most_children(name: str) -> int:
            with archive.open(name) as raw:
                rows = list(csv.DictReader(io.TextIOWrapper(raw, "utf-8")))
            parents = Counter(row["code"].rsplit(".", 1)[0] for row in rows)
            return max(parents.values())

        with archive.open("provinces.csv") as raw:
            provinces = len(list(csv.DictReader(io.TextIOWrapper(raw, "utf-8"))))
        assert PROVINCES == provinces == 38
        assert CHILDREN_BOUND["Province"] == most_children("regencies.csv")
        assert CHILDREN_BOUND["Regency"] == most_children("districts.csv")
        assert CHILDREN_BOUND["District"] == most_children("villages.csv")


async def test_the_national_dashboard_fits_the_anonymous_budget_with_its_cost_shown(
    client: httpx.AsyncClient, db: Any
) -> None:
    response = await client.post("/graphql", json={"query": DASHBOARD})
    body = response.json()
    assert "errors" not in body, body
    # 38 provinces, each with its coverage, a connection, and at most 38 regencies (an edge,
    # a node and its coverage each).
    assert body["extensions"] == {"cost": 38 * (1 + 1 + 1 + 38 * 3)}
    assert body["extensions"]["cost"] <= 10_000


async def test_pages_of_500_inside_pages_of_500_are_refused(
    client: httpx.AsyncClient, db: Any
) -> None:
    response = await client.post("/graphql", json={"query": NESTED_PAGES})
    error = response.json()["errors"][0]
    assert response.json()["data"] is None
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # 500 districts, each a connection of at most 108 villages (an edge and a node each).
    assert error["extensions"]["cost"] == 1 + 500 * (1 + 1 + 1 + 108 * 2)
    assert error["extensions"]["budget"] == 10_000
