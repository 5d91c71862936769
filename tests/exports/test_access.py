"""Who gets an export: the caller's scope in the file, the file for its key only (404 for
anyone else), for a limited time; every step in the audit log; the manifest's cursor
continues the change feed; the CLI writes the same file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from cli import app
from shared.cooperatives import service
from shared.models import AuditEntry, ImportJob, utcnow
from shared.proposals import service as proposals
from tests.api.support import STEWARD, Keys, add_outside_province, recompute
from tests.changes.support import read_feed
from tests.exports.support import JOB, export_file, read_back, start
from tests.support import gql


@pytest.fixture
def spread(kaltim: Any, coops: dict[str, int], worker: object) -> dict[str, int]:
    """Kaltim's cooperatives, one in province 99, a proposal on each side, fresh figures."""
    outside = add_outside_province(kaltim)
    with kaltim.transaction() as session:
        proposals.submit_proposal(session, STEWARD, region_code="64.72", proposed_name="Di 64")
        proposals.submit_proposal(session, STEWARD, region_code="99.01", proposed_name="Di 99")
    recompute(kaltim)
    return {**coops, "outside": outside}


async def test_a_province_partner_never_gets_a_row_of_another_province(
    client: httpx.AsyncClient, keys: Keys, spread: dict[str, int]
) -> None:
    scoped, national = keys.headers("partner64"), keys.headers("partner")
    _job, content = await export_file(client, scoped, dataset="COOPERATIVES", format="NDJSON")
    ids = {r["id"] for r in read_back("NDJSON", content, set())}
    assert ids == {spread["lempake"], spread["paser"], spread["merger"]}
    _job, everything = await export_file(client, national, dataset="COOPERATIVES", format="CSV")
    assert {int(r["id"]) for r in read_back("CSV", everything, set())} == set(spread.values())

    # Asking for the other province gives nothing, like the query does.
    job, elsewhere = await export_file(
        client, scoped, dataset="COOPERATIVES", format="CSV", filter={"regionCode": "99"}
    )
    assert read_back("CSV", elsewhere, set()) == []
    assert job["manifest"]["row_count"] == 0
    assert job["manifest"]["scope"] == "64"

    _job, content = await export_file(client, scoped, dataset="PROPOSALS", format="NDJSON")
    assert [r["proposed_name"] for r in read_back("NDJSON", content, set())] == ["Di 64"]
    _job, content = await export_file(client, scoped, dataset="COVERAGE", format="NDJSON")
    codes = [r["scope_code"] for r in read_back("NDJSON", content, set())]
    assert codes[0] == "64"
    assert all(c == "64" or c.startswith("64.") for c in codes)
    assert len(codes) == 1 + 10 + 105  # the province, its regencies and districts


async def test_a_download_is_for_its_key_only_and_audited(
    client: httpx.AsyncClient, keys: Keys, spread: dict[str, int], kaltim: Any
) -> None:
    owner = keys.headers("partner")
    job, content = await export_file(client, owner, dataset="COOPERATIVES", format="CSV")
    url = job["downloadUrl"]
    assert url == f"/exports/{_number(job['id'])}"
    for other in ("partner64", "operations", "anonymous"):
        response = await client.get(url, headers=keys.headers(other))
        assert response.status_code == 404, other
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        seen = await gql(
            client, JOB, {"id": job["id"]}, headers=keys.headers(other), expect_errors=True
        )
        assert seen.get("data", {}) is None or seen["data"]["exportJob"] is None
    missing = await client.get("/exports/999999", headers=owner)
    assert missing.status_code == 404
    admin = await client.get(url, headers=keys.headers("admin"))
    assert admin.status_code == 200
    assert admin.content == content
    assert admin.headers["x-kopdes-sha256"] == job["manifest"]["sha256"]
    assert admin.headers["content-type"].startswith("text/csv")

    with kaltim.sync_session() as session:
        audited = session.execute(
            select(AuditEntry.operation, AuditEntry.actor)
            .where(
                AuditEntry.target_type == "import_job",
                AuditEntry.target_id == str(_number(job["id"])),
            )
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(a) for a in audited] == [
        ("queue_export_job", "key:partner"),
        ("export.create", "key:partner"),
        ("export.download", "key:partner"),
        ("export.download", "key:admin"),
    ]


def _number(global_id_text: str) -> int:
    from api.schema.common import parse_global_id

    type_name, key = parse_global_id(global_id_text)
    assert type_name == "ExportJob"
    return int(key)


async def test_an_expired_export_is_gone_for_everyone(
    client: httpx.AsyncClient, keys: Keys, spread: dict[str, int], kaltim: Any
) -> None:
    owner = keys.headers("partner")
    job, _content = await export_file(client, owner, dataset="PROPOSALS", format="CSV")
    number = _number(job["id"])
    with kaltim.transaction() as session:
        past = utcnow() - timedelta(hours=73)  # the retention is 72 hours
        session.execute(update(ImportJob).where(ImportJob.id == number).values(finished_at=past))
    assert (await client.get(job["downloadUrl"], headers=owner)).status_code == 404
    expired = await gql(client, JOB, {"id": job["id"]}, headers=owner)
    assert expired["data"]["exportJob"]["downloadUrl"] is None
    # The next export's run deletes the expired file.
    await export_file(client, owner, dataset="PROPOSALS", format="NDJSON")
    with kaltim.sync_session() as session:
        counts = session.execute(
            select(ImportJob.counts).where(ImportJob.id == number)
        ).scalar_one()
    assert counts["file"] is None
    assert counts["manifest"]["row_count"] == 2


async def test_the_manifest_cursor_continues_the_feed_without_gap_or_repeat(
    client: httpx.AsyncClient, keys: Keys, spread: dict[str, int], kaltim: Any
) -> None:
    scoped = keys.headers("partner64")
    job, _content = await export_file(client, scoped, dataset="COOPERATIVES", format="NDJSON")
    cursor = job["manifest"]["changes_cursor"]
    with kaltim.transaction() as session:
        service.update_cooperative(session, STEWARD, spread["paser"], {"npwp": "912345678901234"})
        service.update_cooperative(session, STEWARD, spread["outside"], {"npwp": "9999"})
    edges, _end = await read_feed(client, scoped, cursor)
    from tests.api.support import global_id

    kinds = [(e["node"]["type"], e["node"]["entityId"]) for e in edges]
    # Exactly the change made after the export in the partner's province (the worker's
    # coverage recalculation, a national event, may follow it).
    assert [k for k in kinds if k[0] != "coverage_recalculated"] == [
        ("cooperative_updated", global_id("Cooperative", spread["paser"]))
    ]


async def test_refusals_name_the_field(client: httpx.AsyncClient, keys: Keys, kaltim: Any) -> None:
    partner = keys.headers("partner")
    wrong = await start(
        client, partner, dataset="PROPOSALS", format="CSV", filter={"stage": "operational"}
    )
    assert wrong["job"] is None
    assert [(e["code"], e["field"]) for e in wrong["userErrors"]] == [("INVALID", "filter.stage")]
    bad = await start(client, partner, dataset="COVERAGE", format="CSV", filter={"regionCode": "x"})
    assert [e["field"] for e in bad["userErrors"]] == ["filter.regionCode"]
    anonymous = await gql(
        client,
        "mutation { startExport(input: {dataset: COVERAGE, format: CSV}) { job { id } } }",
        expect_errors=True,
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # No worker here: two exports wait in the queue, and a third is refused.
    for _ in range(2):
        queued = await start(client, partner, dataset="COVERAGE", format="CSV")
        assert queued["job"]["status"] == "queued"
    third = await start(client, partner, dataset="COVERAGE", format="CSV")
    assert [e["code"] for e in third["userErrors"]] == ["CONFLICT"]
    # Another key has its own allowance.
    other = await start(client, keys.headers("partner64"), dataset="COVERAGE", format="CSV")
    assert other["userErrors"] == []


def test_the_cli_writes_the_file_and_its_manifest(spread: dict[str, int], tmp_path: Path) -> None:
    target = tmp_path / "kaltim.ndjson"
    result = CliRunner().invoke(
        app,
        [
            "export",
            "COOPERATIVES",
            "--format",
            "NDJSON",
            "--province",
            "64",
            "--output",
            str(target),
        ],
    )
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert {r["id"] for r in rows} == {spread["lempake"], spread["paser"], spread["merger"]}
    assert manifest["row_count"] == 3
    assert manifest["filter"] == {"region_code": "64"}
    beside = json.loads((tmp_path / "kaltim.ndjson.manifest.json").read_text(encoding="utf-8"))
    assert beside == manifest
    refused = CliRunner().invoke(app, ["export", "COVERAGE", "--province", "6x"])
    assert refused.exit_code == 2
    assert "--province" in refused.output
