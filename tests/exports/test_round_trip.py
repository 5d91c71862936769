"""Every dataset in every format, through HTTP and the worker: the file read back equals what
the API answers for the same filter."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.cooperatives.officers import OfficerEntry, record_officers
from shared.exports.datasets import COLUMNS, Dataset
from shared.models import OfficerRole, ProposalStatus, ProposalVillage, Region
from shared.proposals import service as proposals
from tests.api.support import STEWARD, Keys, recompute
from tests.exports.support import (
    COOPERATIVES,
    COVERAGE,
    PROPOSALS,
    as_csv,
    cooperative_records,
    coverage_record,
    export_file,
    flat_cooperatives,
    flat_coverage,
    proposal_records,
    read_back,
)
from tests.support import gql

FORMATS = ("CSV", "NDJSON", "XLSX", "PARQUET")


@pytest.fixture
def data(kaltim: Any, coops: dict[str, int], worker: object) -> dict[str, int]:
    """The API tests' cooperatives, officers with terms, proposals (one decided), figures."""
    with kaltim.transaction() as session:
        board = [
            OfficerEntry(OfficerRole.chair, "Dewi: Lestari", date(2025, 8, 1), date(2030, 7, 31)),
            OfficerEntry(OfficerRole.supervisor, "Rahmat"),
        ]
        record_officers(session, STEWARD, coops["merger"], board)
        first = proposals.submit_proposal(
            session,
            STEWARD,
            region_code="64.72.05",
            proposed_name="Koperasi Merah Putih Lempake Baru",
            village_codes=["64.72.05.1003"],
            submitted_on=date(2025, 7, 21),
            external_id="USUL-1",
        )
        proposals.submit_proposal(
            session, STEWARD, region_code="64.08", proposed_name="Usulan Kutai Timur"
        )
        proposals.decide_proposal(session, STEWARD, first.id, ProposalStatus.approved)
    recompute(kaltim)
    return coops


def _dates(dataset: Dataset) -> set[str]:
    return {c.name for c in COLUMNS[dataset] if c.kind == "date"}


def _check(
    file_format: str,
    dataset: Dataset,
    content: bytes,
    nested: list[dict[str, Any]],
    flat: list[dict[str, Any]],
) -> None:
    rows = read_back(file_format, content, _dates(dataset))
    if file_format == "NDJSON":
        assert rows == nested
    elif file_format == "CSV":
        assert rows == as_csv(flat)
    else:
        for got, want in zip(rows, flat, strict=True):
            assert got == want, {
                k: (got.get(k), want.get(k)) for k in want if got.get(k) != want.get(k)
            }
    assert len(rows) > 1


@pytest.mark.parametrize("file_format", FORMATS)
async def test_cooperatives_round_trip(
    client: httpx.AsyncClient, keys: Keys, data: dict[str, int], file_format: str
) -> None:
    partner = keys.headers("partner")
    body = await gql(client, COOPERATIVES, {"filter": {"regionCode": "64"}}, headers=partner)
    nested = cooperative_records(body)
    assert {r["id"] for r in nested} == set(data.values())
    job, content = await export_file(
        client, partner, dataset="COOPERATIVES", format=file_format, filter={"regionCode": "64"}
    )
    _check(file_format, Dataset.COOPERATIVES, content, nested, flat_cooperatives(nested))
    manifest = job["manifest"]
    assert manifest["row_count"] == 3
    assert manifest["columns"] == [c.name for c in COLUMNS[Dataset.COOPERATIVES]]
    assert manifest["filter"] == {"region_code": "64"}
    assert manifest["edition"] == "2025"


@pytest.mark.parametrize("file_format", FORMATS)
async def test_proposals_round_trip(
    client: httpx.AsyncClient, keys: Keys, data: dict[str, int], kaltim: Any, file_format: str
) -> None:
    partner = keys.headers("partner")
    body = await gql(client, PROPOSALS, {"filter": {"regionCode": "64"}}, headers=partner)
    with kaltim.sync_session() as session:
        villages: dict[int, list[str]] = {}
        for proposal_id, code in session.execute(
            select(ProposalVillage.proposal_id, Region.code)
            .join(Region, Region.id == ProposalVillage.village_id)
            .order_by(Region.code)
        ):
            villages.setdefault(proposal_id, []).append(code)
    nested = proposal_records(body, villages)
    flat = [{**r, "village_codes": ";".join(r["village_codes"]) or None} for r in nested]
    _job, content = await export_file(
        client, partner, dataset="PROPOSALS", format=file_format, filter={"regionCode": "64"}
    )
    _check(file_format, Dataset.PROPOSALS, content, nested, flat)


@pytest.mark.parametrize("file_format", FORMATS)
async def test_coverage_round_trip(
    client: httpx.AsyncClient, keys: Keys, data: dict[str, int], file_format: str
) -> None:
    partner = keys.headers("partner")
    body = await gql(client, COVERAGE, {"code": "64.72"}, headers=partner)
    region = body["data"]["region"]
    nested = [coverage_record(region["name"], region["coverage"])] + [
        coverage_record(e["node"]["name"], e["node"]["coverage"])
        for e in region["children"]["edges"]
    ]
    _job, content = await export_file(
        client, partner, dataset="COVERAGE", format=file_format, filter={"regionCode": "64.72"}
    )
    _check(file_format, Dataset.COVERAGE, content, nested, flat_coverage(nested))
