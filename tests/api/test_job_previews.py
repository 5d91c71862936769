"""What the ops console reads over HTTP: a dry run's changes, typed, and jobs by who asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from shared.models import Role
from tests.access.support import bearer, issue
from tests.api.support import Keys
from tests.api.test_jobs import START_VILLAGES, _upload
from tests.support import edition_zip, gql, wait_for_job

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "docs" / "examples"

PREVIEW = """query($id: ID!) { importJob(id: $id) {
  changesByLevel { level added renamed retired reinstated unchanged }
  villages: changeSample(change: renamed, level: village) { change code level oldName newName }
  firstTwo: changeSample(first: 2) { change code }
  retired: changeSample(change: retired) { code }
} }"""


async def _dry_run_of_2022(client: httpx.AsyncClient, keys: Keys) -> dict[str, Any]:
    body = await _upload(
        client,
        START_VILLAGES.replace("job { id", "job { databaseId id"),
        {"edition": {"label": "2022"}, "dryRun": True},
        edition_zip(DATA / "2022-64"),
        "kaltim-2022.zip",
        keys.headers("operations"),
    )
    job: dict[str, Any] = body["data"]["startVillageImport"]["job"]
    return job


async def test_a_dry_run_answers_its_changes_per_level_and_a_typed_sample(
    client: httpx.AsyncClient, kaltim: Any, keys: Keys, worker: Any
) -> None:
    job = await _dry_run_of_2022(client, keys)
    finished = wait_for_job(kaltim, job["databaseId"])
    assert finished.status == "succeeded", finished.message
    answer = await gql(client, PREVIEW, {"id": job["id"]}, headers=keys.headers("operations"))
    preview = answer["data"]["importJob"]
    assert preview["changesByLevel"] == [
        {"level": "province", "added": 0, "renamed": 1, "retired": 0, "reinstated": 0,
         "unchanged": 0},
        {"level": "regency", "added": 0, "renamed": 10, "retired": 0, "reinstated": 0,
         "unchanged": 0},
        {"level": "district", "added": 0, "renamed": 1, "retired": 0, "reinstated": 0,
         "unchanged": 104},
        {"level": "village", "added": 0, "renamed": 13, "retired": 0, "reinstated": 0,
         "unchanged": 1025},
    ]  # fmt: skip
    villages = preview["villages"]
    assert len(villages) == 13
    assert {
        "change": "renamed",
        "code": "64.72.05.1004",
        "level": "village",
        "oldName": "Sungai Siring Pelita",
        "newName": "Sungai Siring",
    } in villages
    assert preview["firstTwo"] == [
        {"change": "renamed", "code": "64"},
        {"change": "renamed", "code": "64.01"},
    ]
    assert preview["retired"] == []


async def test_jobs_other_than_village_imports_have_no_region_changes(
    client: httpx.AsyncClient, keys: Keys
) -> None:
    started = await gql(
        client,
        "mutation { recomputeCoverage { job { id changesByLevel { level } changeSample { code }"
        " } } }",
        headers=keys.headers("operations"),
    )
    job = started["data"]["recomputeCoverage"]["job"]
    assert (job["changesByLevel"], job["changeSample"]) == ([], [])


START_REGISTRY = """mutation($file: Upload!, $dryRun: Boolean!) {
  startCooperativeImport(file: $file, dryRun: $dryRun) { job { id requestedBy } } }"""
JOBS_BY = """query($who: String, $kind: JobKind) {
  importJobs(requestedBy: $who, kind: $kind) { totalCount edges { node { id requestedBy } } } }"""


async def test_jobs_can_be_listed_by_who_asked_for_them(
    client: httpx.AsyncClient, kaltim: Any
) -> None:
    asked: dict[str, list[str]] = {}
    tokens = {}
    for name in ("ops-a", "ops-b"):
        _, tokens[name] = issue(kaltim, Role.operations, name=name)
    snapshot = (EXAMPLES / "registry-example.csv").read_bytes()
    for name, times in (("ops-a", 2), ("ops-b", 1)):
        for _ in range(times):
            body = await _upload(
                client, START_REGISTRY, {"dryRun": True}, snapshot, "registry.csv",
                bearer(tokens[name]),
            )  # fmt: skip
            job = body["data"]["startCooperativeImport"]["job"]
            assert job["requestedBy"] == f"key:{name}"
            asked.setdefault(name, []).append(job["id"])

    operations = bearer(tokens["ops-b"])
    for name, ids in asked.items():
        listed = await gql(client, JOBS_BY, {"who": f"key:{name}"}, headers=operations)
        jobs = listed["data"]["importJobs"]
        assert jobs["totalCount"] == len(ids)
        assert [edge["node"]["id"] for edge in jobs["edges"]] == list(reversed(ids))
    nobody = await gql(client, JOBS_BY, {"who": "key:ops"}, headers=operations)  # exact only
    assert nobody["data"]["importJobs"]["totalCount"] == 0
    other_kind = await gql(
        client, JOBS_BY, {"who": "key:ops-a", "kind": "villages"}, headers=operations
    )
    assert other_kind["data"]["importJobs"]["totalCount"] == 0
    everyone = await gql(client, JOBS_BY, {"kind": "cooperatives"}, headers=operations)
    assert everyone["data"]["importJobs"]["totalCount"] == 3
