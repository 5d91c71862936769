"""``kopdes import villages`` as scripts use it: a JSON report, exit codes, dry runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli import app
from shared.db import Database
from shared.villages.service import EditionInfo, import_now
from tests.villages.common import (
    BAD,
    WILAYAH_2022,
    WILAYAH_2025,
    current_edition,
    region_names,
)

KINDS = {"added", "renamed", "retired", "reinstated", "unchanged"}


def kopdes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", "import", "villages", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def report_of(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    report: dict[str, Any] = json.loads(result.stdout)  # only the report is on stdout
    return report


def test_json_report_of_a_successful_import(db: Database, worker: object) -> None:
    # The worker fixture serves the Redis runs; without Redis the CLI runs its own worker.
    import_now(db, [WILAYAH_2022], edition=EditionInfo("2022"))
    result = kopdes(
        str(WILAYAH_2025), "--edition", "2025", "--decree", "Kepmendagri 300.2.2-2138/2025",
        "--date", "2025-04-25", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = report_of(result)
    assert report["status"] == "succeeded"
    assert report["edition"] == {
        "label": "2025",
        "decree": "Kepmendagri 300.2.2-2138/2025",
        "published_on": "2025-04-25",
    }
    assert set(report["diff"]) == {"province", "regency", "district", "village"}
    assert all(set(counts) == KINDS for counts in report["diff"].values())
    assert report["diff"]["village"]["renamed"] == 13
    assert report["diff"]["district"]["renamed"] == 1
    assert report["error_count"] == 0
    assert report["errors"] == []
    assert report["warnings"] == []
    assert current_edition(db) == "2025"


def test_failed_import_exits_non_zero_with_errors_in_the_report(
    db: Database, worker: object
) -> None:
    result = kopdes(str(BAD / "missing_parent.csv"), "--edition", "x", "--json")
    assert result.returncode == 1
    report = report_of(result)
    assert report["status"] == "failed"
    assert report["error_count"] == 1
    (error,) = report["errors"]
    assert {"line", "field", "code", "message"} <= set(error)
    assert (error["line"], error["field"], error["code"]) == (6, "code", "missing_parent")
    assert region_names(db) == {}


def test_dry_run_from_the_command_line_writes_nothing(db: Database, worker: object) -> None:
    result = kopdes(str(WILAYAH_2025), "--edition", "2025", "--dry-run", "--wait")
    assert result.returncode == 0, result.stderr
    assert "dry run" in result.stderr
    assert "village" in result.stdout  # the diff table
    assert region_names(db) == {}


def test_an_import_without_edition_label_is_refused(db: Database) -> None:
    import cli.villages  # noqa: F401  (registers the command on the app)

    result = CliRunner().invoke(app, ["import", "villages", str(WILAYAH_2025), "--json"])
    assert result.exit_code == 2
    refused = json.loads(result.stdout)
    assert refused["status"] == "refused"
    assert "--edition" in refused["message"]


def test_a_binary_file_with_nul_bytes_fails_with_bad_encoding_naming_its_line(
    db: Database, worker: object, tmp_path: Path
) -> None:
    """On PostgreSQL the report itself must survive the bytes: NUL in text or JSONB is refused
    there, so what the report echoes is escaped (``\\x00``, ``\\xff``)."""
    path = tmp_path / "list.csv"
    path.write_bytes(b"code,name\n64,Kalimantan Timur\n\x00\xff\xfe\x00binary\x00\n64.01,X\n")
    result = kopdes(str(path), "--edition", "binary", "--json")
    assert result.returncode == 1, result.stderr
    report = report_of(result)
    assert report["status"] == "failed"
    problems = [(e["line"], e["code"]) for e in report["errors"]]
    assert (3, "bad_encoding") in problems, report["errors"]
    bad = next(e for e in report["errors"] if e["code"] == "bad_encoding")
    assert bad["value"] == "\\x00\\xff\\xfe\\x00binary\\x00"
    assert "byte 0xff at column 2" in bad["message"]
