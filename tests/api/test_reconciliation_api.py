"""A name-keyed registry upload over HTTP: its options, the reconciliation report on the job,
and the decisions as a CSV download that only operations keys may fetch."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx

from tests.api.support import Keys
from tests.support import gql, wait_for_job

START = """
mutation($file: Upload!, $dryRun: Boolean!, $places: PlaceOptionsInput) {
  startCooperativeImport(file: $file, dryRun: $dryRun, places: $places) {
    job { id databaseId status }
    userErrors { code field message }
  }
}"""

JOB = """
query($id: ID!) {
  importJob(id: $id) {
    status message
    reconciliation {
      source minMatchRate allowLowMatch rows matched belowThreshold decisionCount csvPath
      levels { level rows matched matchRate outcomes }
      decisions(first: 1) { totalCount edges { node { line place outcome code reason } } }
    }
  }
}"""

SUMMARY = (
    "province_id,province,district_id,district,cooperatives,npwp_count,nib_count\n"
    "23,KALIMANTAN TIMUR,356,KOTA SAMARINDA,59,58,53\n"
    "23,KALIMANTAN TIMUR,355,KOTA BALIKPAPAN,34,34,34\n"
    "23,KALIMANTAN TIMUR,9001,Fukuoka,1,0,0\n"
)


async def _start(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    places: dict[str, Any] | None,
    overrides: str | None = None,
) -> dict[str, Any]:
    operations = json.dumps(
        {"query": START, "variables": {"file": None, "dryRun": True, "places": places}}
    )
    files = {"0": ("simkopdes.csv", SUMMARY.encode(), "text/csv")}
    mapping: dict[str, list[str]] = {"0": ["variables.file"]}
    if overrides is not None:
        files["1"] = ("overrides.csv", overrides.encode(), "text/csv")
        mapping["1"] = ["variables.places.overrides"]
    response = await client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps(mapping)},
        files=files,
        headers=headers,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()["data"]["startCooperativeImport"]
    return payload


async def test_a_summary_upload_reports_its_reconciliation_and_serves_the_csv_to_operations(
    client: httpx.AsyncClient, kaltim: Any, keys: Keys, worker: Any
) -> None:
    operations = keys.headers("operations")
    payload = await _start(client, operations, {"minMatchRate": 0.6, "source": "simkopdes-test"})
    assert payload["userErrors"] == []
    wait_for_job(kaltim, payload["job"]["databaseId"])
    body = await gql(client, JOB, {"id": payload["job"]["id"]}, headers=operations)
    job = body["data"]["importJob"]
    assert job["status"] == "succeeded", job["message"]
    report = job["reconciliation"]
    job_id = payload["job"]["databaseId"]
    assert {k: v for k, v in report.items() if k not in ("levels", "decisions")} == {
        "source": "simkopdes-test",
        "minMatchRate": 0.6,
        "allowLowMatch": False,
        "rows": 3,
        "matched": 2,
        "belowThreshold": [],
        "decisionCount": 1,
        "csvPath": f"/graphql/jobs/{job_id}/reconciliation.csv",
    }
    assert report["levels"][1] == {
        "level": "regency",
        "rows": 3,
        "matched": 2,
        "matchRate": 0.666667,
        "outcomes": {"matched": 2, "unknown": 1},
    }
    [edge] = report["decisions"]["edges"]
    assert report["decisions"]["totalCount"] == 1
    assert edge["node"]["line"] == 4
    assert (edge["node"]["outcome"], edge["node"]["code"]) == ("unknown", None)

    response = await client.get(report["csvPath"], headers=operations)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["line"], r["place"], r["outcome"]) for r in rows] == [
        ("4", "KALIMANTAN TIMUR / Fukuoka", "unknown")
    ]
    for name, status in (("partner", 403), ("anonymous", 401)):
        refused = await client.get(report["csvPath"], headers=keys.headers(name))
        assert refused.status_code == status, name
        assert "operations role" in refused.text
    missing = await client.get("/graphql/jobs/999999/reconciliation.csv", headers=operations)
    assert missing.status_code == 404


async def test_a_bad_source_name_or_rate_is_a_user_error_naming_the_field(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    operations = keys.headers("operations")
    payload = await _start(client, operations, {"source": "Not Valid"})
    assert payload["job"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", "source")]
    payload = await _start(client, operations, {"minMatchRate": 1.5})
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", "minMatchRate")]


async def test_an_uploaded_overrides_file_reaches_the_worker_and_wins(
    client: httpx.AsyncClient, kaltim: Any, keys: Keys, worker: Any
) -> None:
    operations = keys.headers("operations")
    places = {"minMatchRate": 0.6, "overrides": None}
    payload = await _start(client, operations, places, "source_id,code\n355,64.74\n")
    assert payload["userErrors"] == []
    wait_for_job(kaltim, payload["job"]["databaseId"])
    body = await gql(client, JOB, {"id": payload["job"]["id"]}, headers=operations)
    job = body["data"]["importJob"]
    assert job["status"] == "succeeded", job["message"]
    report = job["reconciliation"]
    assert report["decisionCount"] == 2
    assert report["levels"][1]["outcomes"] == {
        "matched": 1,
        "matched_override": 1,
        "unknown": 1,
    }
