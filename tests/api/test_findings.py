"""Data-quality findings over GraphQL: two cooperatives in one village are listed (and the
village counted covered once), unplaced registry rows are listed, counts per region; a scoped
key sees its province only, and outside it exactly what an empty region shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from shared.coverage.flow import recompute_now
from shared.models import JobStatus
from shared.registry.service import import_now
from tests.api.support import LEMPAKE, Keys
from tests.registry.support import coop, write_rows
from tests.support import gql

FINDINGS = """
query($code: String) {
  dataQualityFindings(regionCode: $code) {
    regionCode sharedVillagesCount cooperativesInSharedVillages
    unplacedRowsCount unplacedCooperatives
    byRegion {
      code name sharedVillages cooperativesInSharedVillages unplacedRows unplacedCooperatives
    }
    sharedVillages(first: 5) {
      totalCount edges { node { code name cooperatives { registryId name } } }
    }
    unplacedRows(first: 5) {
      totalCount edges { node { source line place outcome cooperatives regionCode } }
    }
  }
}"""

COVERAGE = """query { region(code: "64.72.05") { coverage { coveredVillages cooperatives } } }"""


@pytest.fixture
def findings(kaltim: Any, tmp_path: Path) -> Any:
    rows = [coop(LEMPAKE, "R-1"), coop(LEMPAKE, "R-2"), coop("64.72.05.1002", "R-3")]
    job = import_now(kaltim, write_rows(tmp_path / "two.csv", rows))
    assert job.status == JobStatus.succeeded, job.errors
    summary = tmp_path / "summary.csv"
    summary.write_text(
        "province_id,province,district_id,district,cooperatives\n"
        "23,KALIMANTAN TIMUR,356,KOTA SAMARINDA,59\n"
        "23,KALIMANTAN TIMUR,9001,Fukuoka,1\n"
        "99,ATLANTIS,9002,KAB. ATLANTIS,2\n",
        encoding="utf-8",
    )
    job = import_now(kaltim, summary, allow_low_match=True)
    assert job.status == JobStatus.succeeded, job.errors
    recompute_now(kaltim)
    return kaltim


async def test_findings_list_the_shared_village_and_the_unplaced_rows_with_counts_per_region(
    client: httpx.AsyncClient, findings: Any
) -> None:
    data = (await gql(client, FINDINGS))["data"]["dataQualityFindings"]
    assert {k: v for k, v in data.items() if not isinstance(v, list | dict)} == {
        "regionCode": None,
        "sharedVillagesCount": 1,
        "cooperativesInSharedVillages": 2,
        "unplacedRowsCount": 2,
        "unplacedCooperatives": 3,
    }
    assert data["byRegion"] == [
        {
            "code": "64",
            "name": "Kalimantan Timur",
            "sharedVillages": 1,
            "cooperativesInSharedVillages": 2,
            "unplacedRows": 1,
            "unplacedCooperatives": 1,
        },
        {
            "code": None,
            "name": None,
            "sharedVillages": 0,
            "cooperativesInSharedVillages": 0,
            "unplacedRows": 1,
            "unplacedCooperatives": 2,
        },
    ]
    [village] = [e["node"] for e in data["sharedVillages"]["edges"]]
    assert (village["code"], village["name"]) == (LEMPAKE, "Lempake")
    assert [c["registryId"] for c in village["cooperatives"]] == ["R-1", "R-2"]
    unplaced = [e["node"] for e in data["unplacedRows"]["edges"]]
    assert [(u["line"], u["place"], u["outcome"], u["regionCode"]) for u in unplaced] == [
        (3, "KALIMANTAN TIMUR / Fukuoka", "unknown", "64"),
        (4, "ATLANTIS / KAB. ATLANTIS", "unknown", None),
    ]
    # The village is covered once; both cooperatives count.
    coverage = (await gql(client, COVERAGE))["data"]["region"]["coverage"]
    assert coverage == {"coveredVillages": 2, "cooperatives": 3}


async def test_findings_per_regency_and_inside_a_region(
    client: httpx.AsyncClient, findings: Any
) -> None:
    query = """query($code: String) { dataQualityFindings(regionCode: $code) {
      sharedVillagesCount unplacedRowsCount
      byRegion(level: REGENCY) { code sharedVillages unplacedRows } } }"""
    data = (await gql(client, query, {"code": "64.72"}))["data"]["dataQualityFindings"]
    assert (data["sharedVillagesCount"], data["unplacedRowsCount"]) == (1, 0)
    assert data["byRegion"] == [{"code": "64.72", "sharedVillages": 1, "unplacedRows": 0}]
    whole = (await gql(client, query))["data"]["dataQualityFindings"]["byRegion"]
    # Fukuoka's regency was not found: it counts under no regency.
    assert whole == [
        {"code": "64.72", "sharedVillages": 1, "unplacedRows": 0},
        {"code": None, "sharedVillages": 0, "unplacedRows": 2},
    ]


@pytest.mark.parametrize("code", ["64.01", "91", "%", "64.72.05.9999"])
async def test_a_region_without_findings_and_a_malformed_code_read_as_nothing(
    client: httpx.AsyncClient, findings: Any, code: str
) -> None:
    data = (await gql(client, FINDINGS, {"code": code}))["data"]["dataQualityFindings"]
    assert (data["sharedVillagesCount"], data["unplacedRowsCount"], data["byRegion"]) == (0, 0, [])
    assert data["sharedVillages"]["edges"] == data["unplacedRows"]["edges"] == []


async def test_a_scoped_key_reads_the_public_findings_anonymous_callers_read(
    client: httpx.AsyncClient, findings: Any, keys: Keys
) -> None:
    """Findings are public: a partner key's province scope hides none of them (a key never
    sees less than no key), inside its province or outside it."""
    scoped = keys.headers("partner64")
    for code in (None, "64", "91"):
        mine = (await gql(client, FINDINGS, {"code": code}, headers=scoped))["data"]
        anyone = (await gql(client, FINDINGS, {"code": code}))["data"]
        assert mine == anyone
    national = (await gql(client, FINDINGS, headers=scoped))["data"]["dataQualityFindings"]
    assert (national["sharedVillagesCount"], national["unplacedRowsCount"]) == (1, 2)
