"""The file store: bytes in the database, stored once, read back in order, swept when old,
and never written outside a job's staging folder."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from shared.audit import Actor
from shared.db import Database
from shared.files import open_file, put, stage, sweep
from shared.files import store as file_store
from shared.jobs.store import create_job
from shared.models import FileChunk, JobKind, JobStatus, StoredFile, utcnow
from tests.reliability.processes import free_port, kopdes, kopdes_env, wait_http
from tests.support import edition_zip, needs_postgres, needs_redis, wait_for_job

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"


def _counts(db: Database) -> tuple[int, int]:
    with db.sync_session() as session:
        files = session.execute(select(func.count()).select_from(StoredFile)).scalar_one()
        chunks = session.execute(select(func.count()).select_from(FileChunk)).scalar_one()
    return int(files), int(chunks)


def test_a_file_is_stored_in_chunks_and_read_back_byte_for_byte(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_store, "CHUNK_BYTES", 1000)
    content = bytes(range(256)) * 15  # 3,840 bytes: four chunks, the last one short
    path = tmp_path / "data.bin"
    path.write_bytes(content)
    with db.transaction() as session:
        stored = put(session, path, "data.bin", "tester")
    assert (stored.size, stored.name, stored.stored_by) == (len(content), "data.bin", "tester")
    assert _counts(db) == (1, 4)
    with db.sync_session() as session, open_file(session, stored.id) as stream:
        assert stream.read(10) == content[:10]
        assert stream.read() == content[10:]


def test_the_same_bytes_are_stored_once_whatever_their_name_or_source(db: Database) -> None:
    with db.transaction() as session:
        first = put(session, io.BytesIO(b"code,name\n64,Kaltim\n"), "a.csv", "one")
    with db.transaction() as session:
        second = put(session, io.BytesIO(b"code,name\n64,Kaltim\n"), "b.csv", "two")
        other = put(session, io.BytesIO(b"code,name\n65,Kaltara\n"), "c.csv", "two")
    assert (second.id, second.name) == (first.id, "a.csv")
    assert second.stored_at >= first.stored_at  # retention counts from the last store
    assert other.id != first.id
    assert _counts(db) == (2, 2)


def test_sweep_deletes_old_files_but_not_those_a_pending_job_needs(db: Database) -> None:
    with db.transaction() as session:
        old = put(session, io.BytesIO(b"old"), "old.csv", "t")
        needed = put(session, io.BytesIO(b"needed"), "needed.csv", "t")
        fresh = put(session, io.BytesIO(b"fresh"), "fresh.csv", "t")
        for row_id in (old.id, needed.id):
            row = session.get(StoredFile, row_id)
            assert row is not None
            row.stored_at = utcnow() - timedelta(days=31)
        create_job(
            session, JobKind.cooperatives, params={"files": [{"id": needed.id, "path": "0/x"}]}
        )
    with db.transaction() as session:
        assert sweep(session, 30) == 1
    with db.sync_session() as session:
        left = set(session.execute(select(StoredFile.id)).scalars())
    assert left == {needed.id, fresh.id}
    assert _counts(db) == (2, 2)


@pytest.mark.parametrize(
    "relative", ["../x.csv", "0/../../x.csv", "/tmp/x.csv"], ids=["up", "nested-up", "absolute"]
)
def test_staging_refuses_a_path_that_leaves_its_folder(
    db: Database, tmp_path: Path, relative: str
) -> None:
    with db.transaction() as session:
        stored = put(session, io.BytesIO(b"x"), "x.csv", "t")
    folder = tmp_path / "stage" / "job"
    folder.mkdir(parents=True)
    with db.sync_session() as session, pytest.raises(ValueError, match="leaves the staging"):
        stage(session, [(stored.id, relative)], folder)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["job", "stage"]


# Each hostile name and what it is stored as: the last part, without control characters,
# long names cut to "upload" plus their suffix.
HOSTILE_NAMES = {
    "traversal": ("../../x", "x"),
    "absolute": ("/etc/cron.d/x.csv", "x.csv"),
    "nul": ("x\x00y.csv", "x_y.csv"),
    "long": ("a" * 300 + ".csv", "upload.csv"),
}

START_REGISTRY = """
mutation($file: Upload!) {
  startCooperativeImport(file: $file, dryRun: true) { job { id sourceName } userErrors { message } }
}"""


@pytest.mark.parametrize("case", sorted(HOSTILE_NAMES))
async def test_a_hostile_upload_name_is_stored_as_a_plain_name(
    client: httpx.AsyncClient, db: Database, case: str
) -> None:
    from api.schema.common import int_id
    from tests.hostile.support import bearer, token

    sent, kept = HOSTILE_NAMES[case]
    # Written by hand: httpx would percent-encode the NUL that a hostile client sends raw.
    operations = json.dumps({"query": START_REGISTRY, "variables": {"file": None}})
    body = b"".join(
        [
            b'--B\r\nContent-Disposition: form-data; name="operations"\r\n\r\n',
            operations.encode(),
            b'\r\n--B\r\nContent-Disposition: form-data; name="map"\r\n\r\n',
            b'{"0": ["variables.file"]}',
            b'\r\n--B\r\nContent-Disposition: form-data; name="0"; filename="',
            sent.encode(),
            b'"\r\nContent-Type: text/csv\r\n\r\nregistry_id,name\n\r\n--B--\r\n',
        ]
    )
    response = await client.post(
        "/graphql",
        content=body,
        headers={**bearer(token(db)), "content-type": "multipart/form-data; boundary=B"},
    )
    assert response.status_code == 200, response.text
    job = response.json()["data"]["startCooperativeImport"]["job"]
    assert job["sourceName"] == kept
    with db.sync_session() as session:
        from shared.models import ImportJob

        row = session.get(ImportJob, int_id(job["id"], "ImportJob"))
        assert row is not None
        assert [f["path"] for f in row.params["files"]] == [f"0/{kept}"]
        assert session.execute(select(StoredFile.name)).scalars().all() == [kept]


@needs_postgres
@needs_redis
def test_an_api_and_a_worker_with_no_folder_in_common_complete_an_upload_import(
    db: Database, tmp_path: Path
) -> None:
    """Production runtime: the upload goes through `kopdes serve`, the import runs in a
    `kopdes worker` whose working and temporary folders are its own."""
    from tests.hostile.support import bearer, token

    api_home, worker_home = tmp_path / "api", tmp_path / "worker"
    for home in (api_home, worker_home):
        home.mkdir()
    port = free_port()
    api_env = kopdes_env(TMPDIR=str(api_home), KOPDES_RATE_LIMIT_ENABLED="false")
    worker_env = kopdes_env(TMPDIR=str(worker_home))
    query = """mutation($file: Upload!) { startVillageImport(file: $file,
        edition: {label: "2025"}) { job { id } userErrors { message } } }"""
    with (
        kopdes(
            ["serve", "--port", str(port), "--no-migrate"], api_env, tmp_path / "a.log", api_home
        ) as api,
        kopdes(
            ["worker", "--processes", "1", "--threads", "1"],
            worker_env,
            tmp_path / "w.log",
            worker_home,
        ) as w,
    ):
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz")
        response = httpx.post(
            f"{base}/graphql",
            data={
                "operations": json.dumps({"query": query, "variables": {"file": None}}),
                "map": json.dumps({"0": ["variables.file"]}),
            },
            files={"0": ("wilayah-64.zip", edition_zip(DATA / "2025-64"))},
            headers=bearer(token(db)),
            timeout=30,
        )
        assert response.status_code == 200, (response.text, api.output())
        from api.schema.common import int_id

        payload: Any = response.json()["data"]["startVillageImport"]
        job = wait_for_job(db, int_id(payload["job"]["id"], "ImportJob"), timeout=120)
        log = w.output()
    assert job.status == JobStatus.succeeded, (job.message, log)
    assert job.counts["regions"]["village"] == 1038  # the stored bytes, read by the worker
    assert job.worker_id
    assert job.worker_id.split(":")[1] != str(api.popen.pid)
    assert not any(api_home.rglob("wilayah-64.zip"))  # nor the upload's
    assert not any(worker_home.rglob("wilayah-64.zip"))  # the staged copy went with the run


def test_actor_name_is_kept(db: Database) -> None:
    with db.transaction() as session:
        stored = put(session, io.BytesIO(b"z"), None, Actor("ops-key").name)
    assert (stored.name, stored.stored_by) == ("upload.bin", "ops-key")
