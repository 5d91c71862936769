"""Exports as a partner's client sees them: ask, wait, download, read the file back; and the
same records from the API's queries, to compare with."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import date, datetime
from typing import Any

import httpx

from shared.models import COVERAGE_COLUMNS, PROFILE_COLUMNS
from tests.support import gql

START = """mutation($input: StartExportInput!) {
  startExport(input: $input) {
    job { id databaseId status downloadUrl }
    userErrors { code field message }
  }
}"""
JOB = """query($id: ID!) { exportJob(id: $id) {
  id status message downloadUrl expiresAt manifest progress { rowsDone rowsTotal } } }"""


async def start(client: httpx.AsyncClient, headers: dict[str, str], **input: Any) -> dict[str, Any]:
    body = await gql(client, START, {"input": input}, headers=headers)
    return body["data"]["startExport"]  # type: ignore[no-any-return]


async def finished(
    client: httpx.AsyncClient, headers: dict[str, str], job_id: str, timeout: float = 60
) -> dict[str, Any]:
    """Poll ``exportJob`` until the export has ended."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = (await gql(client, JOB, {"id": job_id}, headers=headers))["data"]["exportJob"]
        if job["status"] in ("succeeded", "failed"):
            return job  # type: ignore[no-any-return]
        assert loop.time() < deadline, f"export still {job['status']}"
        await asyncio.sleep(0.05)


async def export_file(
    client: httpx.AsyncClient, headers: dict[str, str], **input: Any
) -> tuple[dict[str, Any], bytes]:
    """Ask for an export, wait for it, download it: (the job, the file's bytes)."""
    started = await start(client, headers, **input)
    assert started["userErrors"] == [], started
    job = await finished(client, headers, started["job"]["id"])
    assert job["status"] == "succeeded", job["message"]
    response = await client.get(job["downloadUrl"], headers=headers)
    assert response.status_code == 200, response.text
    return job, response.content


# ----------------------------------------------------------------------------- reading back


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def read_back(file_format: str, content: bytes, date_columns: set[str]) -> list[dict[str, Any]]:
    """The file's rows as JSON-like dicts (CSV: every value a string)."""
    if file_format == "CSV":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
    if file_format == "NDJSON":
        return [json.loads(line) for line in content.decode("utf-8").splitlines()]
    if file_format == "XLSX":
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        names = list(next(rows))
        found = []
        for row in rows:
            record = {}
            # Read-only sheets leave out a row's trailing empty cells.
            cells = (*row, *(None,) * (len(names) - len(row)))
            for name, value in zip(names, cells, strict=True):
                if isinstance(value, datetime) and name in date_columns:
                    value = value.date()  # Excel keeps dates as midnight timestamps
                record[str(name)] = _plain(value)
            found.append(record)
        return found
    import pyarrow.parquet as pq

    table = pq.read_table(io.BytesIO(content))
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]


def as_csv(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """What CSV makes of JSON-like rows."""

    def text(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return [{k: text(v) for k, v in row.items()} for row in rows]


# ----------------------------------------------------------------------------- the API's side

COOPERATIVES = (
    """query($filter: CooperativeFilter) { cooperatives(first: 50, filter: $filter) { edges {
  node { databaseId registryId name kind scheme stage isMockup villages { code name }
    outlets { type kbli status openedOn } officers { role name termStart termEnd } memberCount
    legalIdentifiers { """
    + " ".join(re.sub(r"_([a-z])", lambda m: m[1].upper(), c) for c in PROFILE_COLUMNS)
    + """ } financingReadiness { ready missing } version updatedAt } } } }"""
)


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m[1].upper(), name)


def cooperative_records(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The API's cooperatives as the NDJSON export's records."""
    records = []
    for edge in body["data"]["cooperatives"]["edges"]:
        n = edge["node"]
        records.append(
            {
                "id": n["databaseId"],
                "registry_id": n["registryId"],
                "name": n["name"],
                "kind": n["kind"],
                "scheme": n["scheme"],
                "stage": n["stage"],
                "is_mockup": n["isMockup"],
                "villages": n["villages"],
                "outlets": [
                    {
                        "type": o["type"],
                        "kbli": o["kbli"],
                        "status": o["status"],
                        "opened_on": o["openedOn"],
                    }
                    for o in n["outlets"]
                ],
                "officers": [
                    {
                        "role": o["role"],
                        "name": o["name"],
                        "term_start": o["termStart"],
                        "term_end": o["termEnd"],
                    }
                    for o in n["officers"]
                ],
                "member_count": n["memberCount"],
                "legal_identifiers": {c: n["legalIdentifiers"][_camel(c)] for c in PROFILE_COLUMNS},
                "financing_readiness": dict(n["financingReadiness"]),
                "version": n["version"],
                "updated_at": n["updatedAt"],
            }
        )
    return records


def _joined(items: Any) -> str | None:
    return ";".join(items) or None


def _parts(*values: Any) -> str:
    return ":".join("" if v is None else str(v) for v in values)


def flat_cooperatives(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    flat = []
    for r in records:
        row = {k: v for k, v in r.items() if not isinstance(v, list | dict)}
        row["village_codes"] = _joined(v["code"] for v in r["villages"])
        row["village_names"] = _joined(v["name"] for v in r["villages"])
        row["outlets"] = _joined(
            _parts(o["type"], o["kbli"], o["status"], o["opened_on"]) for o in r["outlets"]
        )
        row["officers"] = _joined(
            _parts(o["role"], o["name"], o["term_start"], o["term_end"]) for o in r["officers"]
        )
        row.update(r["legal_identifiers"])
        row["financing_ready"] = r["financing_readiness"]["ready"]
        row["financing_missing"] = _joined(r["financing_readiness"]["missing"])
        flat.append(row)
    return flat


PROPOSALS = """query($filter: ProposalFilter) { proposals(first: 50, filter: $filter) { edges {
  node { databaseId externalId regionCode proposedName status submittedOn decidedOn decidedBy
    note cooperative { databaseId } } } } }"""


def proposal_records(body: dict[str, Any], villages: dict[int, list[str]]) -> list[dict[str, Any]]:
    return [
        {
            "id": n["databaseId"],
            "external_id": n["externalId"],
            "region_code": n["regionCode"],
            "province_code": n["regionCode"][:2],
            "proposed_name": n["proposedName"],
            "status": n["status"],
            "village_codes": villages.get(n["databaseId"], []),
            "submitted_on": n["submittedOn"],
            "decided_on": n["decidedOn"],
            "decided_by": n["decidedBy"],
            "cooperative_id": n["cooperative"]["databaseId"] if n["cooperative"] else None,
            "note": n["note"],
        }
        for n in (e["node"] for e in body["data"]["proposals"]["edges"])
    ]


COVERAGE_FIELDS = """scopeCode level activeVillages desaCount kelurahanCount coveredVillages
  coveragePercent cooperatives kdmp kkmp mergers mockups retiredVillagesWithCooperatives
  funnel { covered formed legalEntity operational }
  proposals { total submitted approved rejected formed } outlets { type count }
  dataVersion computedAt"""
COVERAGE = (
    """query($code: String!) { region(code: $code) { code name coverage { """
    + COVERAGE_FIELDS
    + """ } children(first: 20) { edges { node { code name coverage { """
    + COVERAGE_FIELDS
    + """ } } } } } }"""
)


def coverage_record(name: str, c: dict[str, Any]) -> dict[str, Any]:
    direct = {
        "active_villages": c["activeVillages"],
        "desa_count": c["desaCount"],
        "kelurahan_count": c["kelurahanCount"],
        "covered_villages": c["coveredVillages"],
        "covered_formed": c["funnel"]["formed"],
        "covered_legal_entity": c["funnel"]["legalEntity"],
        "covered_operational": c["funnel"]["operational"],
        "cooperatives": c["cooperatives"],
        "kdmp": c["kdmp"],
        "kkmp": c["kkmp"],
        "mergers": c["mergers"],
        "mockups": c["mockups"],
        "retired_villages_with_cooperatives": c["retiredVillagesWithCooperatives"],
        **{f"proposals_{k}": v for k, v in c["proposals"].items()},
    }
    assert set(direct) == set(COVERAGE_COLUMNS)
    return {
        "scope_code": c["scopeCode"],
        "level": c["level"],
        "name": name,
        **{k: direct[k] for k in COVERAGE_COLUMNS},
        "coverage_percent": c["coveragePercent"],
        "outlets": {o["type"]: o["count"] for o in c["outlets"]},
        "data_version": c["dataVersion"],
        "computed_at": c["computedAt"],
    }


def flat_coverage(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**r, "outlets": _joined(f"{k}:{r['outlets'][k]}" for k in sorted(r["outlets"]))}
        for r in records
    ]
