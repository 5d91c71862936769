"""The operator's command line: jobs list and show, problem codes in line order, no diff for a
failed import, dry-run samples, unknown columns warned, both spellings of the edition's
options, tables that stay whole when piped."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from shared.access import keys
from shared.models import JobStatus, Role
from shared.villages.service import EditionInfo, import_now
from tests.access.support import TEST_ACTOR

KOPDES = str(Path(sys.executable).with_name("kopdes"))
DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah" / "2025-64"


def kopdes(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    """The console script, output piped (as an operator's `| less` or a script)."""
    env = {**os.environ, "COLUMNS": "40", "KOPDES_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [KOPDES, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == expect, f"kopdes {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


BAD_LIST = """code,name
64,Kalimantan Timur
64.01,Kabupaten Paser
64.01.01,Batu Sopang
64.1,Bad Regency
64.01.01.2009,Samurangau
64.01.01.20X9,Bad Village
64.01.01.2010,
"""


def test_a_failed_import_shows_codes_in_line_order_and_no_diff(
    db: Any, worker: Any, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_LIST)
    done = kopdes("import", "villages", str(bad), "--label", "2099", "--wait", expect=1)
    assert "changes by level" not in done.stdout + done.stderr
    codes = re.findall(r"bad\.csv:(\d+) \[(\w+)\]", done.stderr)
    assert codes, done.stderr
    lines = [int(line) for line, _code in codes]
    assert lines == sorted(lines)
    assert ("5", "bad_code") in codes
    assert ("7", "bad_code") in codes
    assert ("8", "empty_name") in codes


def test_jobs_list_and_show_through_the_cli(db: Any, worker: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD_LIST)
    kopdes("import", "villages", str(bad), "--edition", "2099", "--wait", expect=1)
    good = import_now(db, [DATA], edition=EditionInfo(label="2025"))
    assert good.status == JobStatus.succeeded

    listed = kopdes("jobs", "list", "--kind", "villages", "--status", "failed", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["kind"], r["status"], r["source_name"]) for r in rows] == [
        ("villages", "failed", "bad.csv")
    ]
    failed_id = rows[0]["id"]
    table = kopdes("jobs", "list", "--kind", "villages").stdout
    ids = [int(line.split()[0]) for line in table.splitlines() if line.split()[0].isdigit()]
    assert ids == sorted({failed_id, good.id}, reverse=True)  # newest first, and no others

    shown = kopdes("jobs", "show", str(failed_id))
    assert f"job {failed_id} villages: failed" in shown.stderr
    assert "attempts 1" in shown.stderr
    assert "changes by level" not in shown.stdout
    codes = re.findall(r"bad\.csv:(\d+) \[(\w+)\]", shown.stderr)
    assert [int(line) for line, _ in codes] == sorted(int(line) for line, _ in codes)
    assert ("8", "empty_name") in codes

    report = json.loads(kopdes("jobs", "show", str(good.id), "--json").stdout)
    assert report["status"] == "succeeded"
    assert report["attempts"] == 1
    assert report["diff"]["village"]["added"] == 1038
    succeeded = kopdes("jobs", "show", str(good.id))
    assert "changes by level" in succeeded.stdout
    assert re.search(r"^  added +64 +Kalimantan Timur$", succeeded.stderr, re.M)
    kopdes("jobs", "show", "999999", expect=1)


def test_a_dry_run_shows_what_it_would_change(db: Any, worker: Any) -> None:
    import_now(db, [DATA], edition=EditionInfo(label="2025"))
    renamed = DATA.parent / "2022-64"
    done = kopdes(
        "import",
        "villages",
        str(renamed),
        "--label",
        "2022",
        "--published-on",
        "2022-12-30",
        "--dry-run",
        "--wait",
    )
    assert "(dry run)" in done.stderr
    assert "what it would change" in done.stderr
    sample = re.findall(r"^  (added|renamed|retired|reinstated) +(\S+)", done.stderr, re.M)
    assert sample, done.stderr


def test_a_renamed_column_in_a_per_level_file_is_warned_about(db: Any, tmp_path: Path) -> None:
    folder = tmp_path / "2025"
    shutil.copytree(DATA, folder)
    villages = folder / "villages.csv"
    text = villages.read_text()
    villages.write_text(text.replace("code,district_code,", "code,kecamatan,", 1))
    job = import_now(db, [folder], edition=EditionInfo(label="2025"))
    assert job.status == JobStatus.succeeded
    assert [(w["code"], w["field"], w["file"]) for w in job.warnings] == [
        ("unknown_column", "kecamatan", "villages.csv")
    ]


def test_apikey_list_piped_keeps_every_cell_whole(db: Any) -> None:
    name = "Bank Pembangunan Daerah Kalimantan Timur dan Kalimantan Utara"
    with db.transaction() as session:
        issued = keys.create_key(session, TEST_ACTOR, name=name, role=Role.partner)
    prefix = issued.key.prefix
    listed = kopdes("apikey", "list").stdout
    line = next(line for line in listed.splitlines() if prefix in line)
    assert name in line  # on the prefix's line, not wrapped onto others
    assert "…" not in listed
    assert json.loads(kopdes("apikey", "list", "--json").stdout)["prefix"] == prefix
