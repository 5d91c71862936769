"""Zip bombs, formula cells and hostile uploads: refused with a coded problem naming the file
(or row), without unpacking gigabytes, without evaluating a formula, never a server error."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from shared.imports.files import MAX_UNPACKED_BYTES
from shared.models import Edition, JobStatus, Region, Role
from shared.registry.service import import_now as import_registry_now
from shared.villages import problems as p
from shared.villages.service import EditionInfo
from shared.villages.service import import_now as import_villages_now
from tests.hostile.bombs import gzip_bomb, plain, write_zip, xlsx_bomb, zeros
from tests.hostile.support import assert_client_error, bearer, token
from tests.support import wait_for_job

pytestmark = pytest.mark.timeout(120)
LEVELS = ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv")


def _refused_villages(db: Any, path: Path, code: str) -> list[dict[str, Any]]:
    started = time.monotonic()
    job = import_villages_now(db, [path], edition=EditionInfo("hostile"))
    elapsed = time.monotonic() - started
    assert job.status == JobStatus.failed, (job.status, job.message)
    codes = [e["code"] for e in job.errors]
    assert code in codes, job.errors
    # Nothing written: no edition, no region.
    with db.sync_session() as session:
        assert session.scalar(select(func.count()).select_from(Edition)) == 0
        assert session.scalar(select(func.count()).select_from(Region)) == 0
    # Well under what unpacking gigabytes would take.
    assert elapsed < 30, elapsed
    return list(job.errors)


def test_zip_of_four_gigabyte_members_is_refused_from_its_directory(
    db: Any, tmp_path: Path
) -> None:
    bomb = write_zip(tmp_path / "wilayah.zip", [zeros(name) for name in LEVELS])
    assert bomb.stat().st_size < 10_000_000
    started = time.monotonic()
    errors = _refused_villages(db, bomb, p.FILE_TOO_LARGE)
    assert time.monotonic() - started < 5
    assert "refused without unpacking" in errors[0]["message"]
    assert errors[0]["file"] == "wilayah.zip"


def test_gzip_bomb_stops_at_the_unpacked_limit(db: Any, tmp_path: Path) -> None:
    errors = _refused_villages(db, gzip_bomb(tmp_path / "list.csv.gz"), p.FILE_TOO_LARGE)
    assert f"{MAX_UNPACKED_BYTES:,}" in errors[0]["message"]


def test_gzip_bomb_inside_a_zip_is_refused(db: Any, tmp_path: Path) -> None:
    inner = gzip_bomb(tmp_path / "list.csv.gz").read_bytes()
    archive = write_zip(tmp_path / "nested.zip", [plain("list.csv.gz", inner)])
    _refused_villages(db, archive, p.FILE_TOO_LARGE)


def test_xlsx_bomb_is_refused_before_openpyxl_reads_the_sheet(db: Any, tmp_path: Path) -> None:
    _refused_villages(db, xlsx_bomb(tmp_path / "list.xlsx"), p.FILE_TOO_LARGE)


def test_registry_xlsx_bomb_is_refused(db: Any, tmp_path: Path) -> None:
    job = import_registry_now(db, xlsx_bomb(tmp_path / "registry.xlsx"), actor=_actor())
    assert job.status == JobStatus.failed
    assert [e["code"] for e in job.errors] == ["file_too_large"], job.errors


def _actor() -> Any:
    from shared.audit import Actor

    return Actor(name="hostile-tests")


FORMULAS = ['=HYPERLINK("http://evil.example","Kaltim")', "=1+1", "=cmd|' /C calc'!A0"]


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_village_xlsx_formula_cells_are_row_errors_never_evaluated(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    path.write_bytes(
        _workbook(
            [["code", "name"], ["64", "Kalimantan Timur"]]
            + [[f"64.0{i + 1}", formula] for i, formula in enumerate(FORMULAS)]
            + [["=64+0", "Kabupaten Paser"]]
        )
    )
    errors = _refused_villages(db, path, p.FORMULA_CELL)
    formula_errors = [e for e in errors if e["code"] == p.FORMULA_CELL]
    assert [e["line"] for e in formula_errors] == [3, 4, 5, 6]
    assert [e["value"] for e in formula_errors] == [*FORMULAS, "=64+0"]
    assert all("not evaluated" in e["message"] for e in formula_errors)


def test_registry_xlsx_formula_cells_are_row_errors(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "registry.xlsx"
    header = ["registry_id", "name", "village_codes", "scheme", "stage"]
    path.write_bytes(
        _workbook([header, ["R-1", FORMULAS[0], "64.72.05.1003", "new", "legal_entity"]])
    )
    job = import_registry_now(db, path, actor=_actor())
    assert job.status == JobStatus.failed
    formula = [e for e in job.errors if e["code"] == "formula_cell"]
    assert formula, job.errors
    assert (formula[0]["line"], formula[0]["field"]) == (2, "name"), job.errors


def test_registry_csv_with_a_runaway_quote_is_a_row_error(db: Any, tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text(
        'registry_id,name,village_codes,scheme,stage\nR-1,"never closed' + "x" * 200_000 + "\n"
    )
    job = import_registry_now(db, path, actor=_actor())
    assert job.status == JobStatus.failed
    assert job.errors[0]["code"] == "unreadable_csv", job.errors
    assert "longer than" in job.errors[0]["message"]


# ----------------------------------------------------------------------------- over HTTP

START_VILLAGES = """
mutation($file: Upload!) {
  startVillageImport(file: $file, edition: {label: "hostile"}) {
    job { id status } userErrors { code field message }
  }
}"""
START_REGISTRY = """
mutation($file: Upload!) {
  startCooperativeImport(file: $file) { job { id status } userErrors { code message } }
}"""


async def _upload(
    client: httpx.AsyncClient,
    query: str,
    content: bytes,
    name: str,
    headers: dict[str, str],
    operations: str | None = None,
    mapping: str | None = None,
) -> httpx.Response:
    return await client.post(
        "/graphql",
        data={
            "operations": operations or json.dumps({"query": query, "variables": {"file": None}}),
            "map": mapping or json.dumps({"0": ["variables.file"]}),
        },
        files={"0": (name, content, "application/octet-stream")},
        headers=headers,
    )


async def test_uploaded_zip_bomb_fails_its_job_with_the_reason(
    client: httpx.AsyncClient, db: Any, worker: Any, tmp_path: Path
) -> None:
    bomb = write_zip(tmp_path / "wilayah.zip", [zeros(name) for name in LEVELS]).read_bytes()
    response = await _upload(client, START_VILLAGES, bomb, "wilayah.zip", bearer(token(db)))
    assert response.status_code == 200, response.text
    from api.schema.common import int_id

    job_id = int_id(response.json()["data"]["startVillageImport"]["job"]["id"], "ImportJob")
    job = wait_for_job(db, job_id, timeout=60)
    # Failed for good on the first attempt: a refused input is not retried.
    assert (job.status, job.attempts) == (JobStatus.failed, 1)
    assert [e["code"] for e in job.errors] == [p.FILE_TOO_LARGE]


async def test_uploaded_formula_workbook_fails_its_job_with_row_errors(
    client: httpx.AsyncClient, db: Any, worker: Any
) -> None:
    header = ["registry_id", "name", "village_codes", "scheme", "stage"]
    content = _workbook([header, ["R-1", "=1+1", "64.72.05.1003", "new", "legal_entity"]])
    response = await _upload(client, START_REGISTRY, content, "registry.xlsx", bearer(token(db)))
    assert response.status_code == 200, response.text
    from api.schema.common import int_id

    job_id = int_id(response.json()["data"]["startCooperativeImport"]["job"]["id"], "ImportJob")
    job = wait_for_job(db, job_id, timeout=60)
    assert job.status == JobStatus.failed
    assert "formula_cell" in [e["code"] for e in job.errors], job.errors


@pytest.fixture
async def small_upload_client(db: Any) -> Any:
    from api.app import create_app
    from shared.config import get_settings

    settings = get_settings().model_copy(update={"upload_max_bytes": 64 * 1024})
    app = create_app(settings=settings, start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def test_oversized_upload_is_refused_with_413(small_upload_client: Any, db: Any) -> None:
    content = b"code,name\n" + b"64,Kalimantan Timur\n" * 10_000
    response = await _upload(
        small_upload_client, START_VILLAGES, content, "big.csv", bearer(token(db))
    )
    assert response.status_code == 413
    body = assert_client_error(response, "PAYLOAD_TOO_LARGE")
    assert str(64 * 1024) in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "filename",
    ["..", ".", "", "/", "a" * 300 + ".csv", "x\x00y.csv", "../../etc/passwd", "con:.csv"],
    ids=["dotdot", "dot", "empty", "slash", "long", "nul", "traversal", "colon"],
)
async def test_hostile_upload_names_are_not_server_errors(
    client: httpx.AsyncClient, db: Any, filename: str
) -> None:
    response = await _upload(
        client, START_VILLAGES, b"code,name\n64,Kalimantan Timur\n", filename, bearer(token(db))
    )
    assert response.status_code < 500, response.text
    body = response.json()
    codes = [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]
    assert "INTERNAL_SERVER_ERROR" not in codes, body


@pytest.mark.parametrize(
    ("operations", "mapping"),
    [
        ("null", None),
        ("not json", None),
        ('{"query": "mutation { __typename }"}', "not json"),
        (None, '{"0": ["variables.nothing.here"]}'),
        (None, '{"0": "variables.file"}'),
        (None, '{"1": ["variables.file"]}'),
        (None, "[]"),
    ],
)
async def test_malformed_multipart_requests_are_client_errors(
    client: httpx.AsyncClient, db: Any, operations: str | None, mapping: str | None
) -> None:
    response = await _upload(
        client, START_VILLAGES, b"code,name\n", "x.csv", bearer(token(db)), operations, mapping
    )
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    if response.status_code == 200:
        assert_client_error(response)


async def test_upload_without_operations_key_is_forbidden(
    client: httpx.AsyncClient, db: Any
) -> None:
    response = await _upload(
        client, START_VILLAGES, b"code,name\n", "x.csv", bearer(token(db, Role.partner))
    )
    assert_client_error(response, "FORBIDDEN")


def test_zipfile_never_returns_more_than_a_members_declared_size(tmp_path: Path) -> None:
    # The zip check trusts declared sizes; this is why that is safe: a member that lies
    # about its size is cut at the declared size (and fails its CRC), never bigger.
    honest = zeros("villages.csv")
    liar = honest._replace(size=1000)
    archive = write_zip(tmp_path / "liar.zip", [liar])
    with zipfile.ZipFile(archive) as opened, opened.open("villages.csv") as member:
        read, refused = 0, False
        try:
            while chunk := member.read(1 << 16):
                read += len(chunk)
        except zipfile.BadZipFile:
            refused = True
        assert refused
        assert read <= 1000
