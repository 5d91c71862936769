"""Every rule of the bad-file corpus: reported with line, field, value and a stable code, and a
file with any error writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.db import Database
from shared.models import JobStatus
from shared.villages.service import EditionInfo, import_now
from tests.villages.common import BAD, VILLAGES, WILAYAH_2025, region_count, region_names

CASES = [
    # file, error code, line, field
    ("bad_code.csv", "bad_code", 6, "code"),
    ("bad_village_digit.csv", "bad_village_digit", 6, "code"),
    ("missing_parent.csv", "missing_parent", 6, "code"),
    ("duplicate_code.csv", "duplicate_code", 6, "code"),
    ("empty_name.csv", "empty_name", 6, "name"),
    ("control_character.csv", "control_character", 6, "name"),
    ("kind_name_mismatch.csv", "kind_name_mismatch", 6, "name"),
    ("bad_encoding.csv", "bad_encoding", 7, None),
    ("missing_columns.csv", "missing_columns", 1, "header"),
    ("empty_file.csv", "empty_file", None, None),
]


@pytest.mark.parametrize(("name", "code", "line", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_file_is_rejected_with_the_rule_it_breaks(
    db: Database, name: str, code: str, line: int | None, field: str | None
) -> None:
    job = import_now(db, [BAD / name], edition=EditionInfo("bad"))
    assert job.status is JobStatus.failed
    assert job.error_count == 1, job.errors
    (error,) = job.errors
    assert error["code"] == code
    assert error["line"] == line
    assert error["field"] == field
    assert error["file"] == name
    assert error["message"]
    assert "nothing was written" in (job.message or "")
    assert region_count(db) == 0


def test_a_bad_file_leaves_the_previous_edition_exactly_as_it_was(db: Database) -> None:
    first = import_now(db, [WILAYAH_2025], edition=EditionInfo("2025"))
    assert first.status is JobStatus.succeeded, first.message
    before = region_names(db)
    job = import_now(db, [BAD / "duplicate_code.csv"], edition=EditionInfo("bad"))
    assert job.status is JobStatus.failed
    assert region_names(db) == before


def test_errors_are_all_counted_and_the_first_n_kept(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    rows = [f"64.72.05.9{i:03d},Bad {i}" for i in range(150)]
    path.write_text(
        "code,name\n64,Kalimantan Timur\n64.72,Kota Samarinda\n64.72.05,X\n" + "\n".join(rows)
    )
    job = import_now(db, [path], edition=EditionInfo("many"))
    assert job.status is JobStatus.failed
    assert job.error_count == 150
    assert len(job.errors) == db.settings.max_reported_errors == 100
    assert job.errors[0]["line"] == 5
    assert "first 100 kept" in (job.message or "")


def test_whitespace_is_a_warning_and_the_import_goes_through(db: Database) -> None:
    job = import_now(db, [VILLAGES / "whitespace.csv"], edition=EditionInfo("ws"))
    assert job.status is JobStatus.succeeded, job.errors
    assert job.warning_count == 1
    assert job.warnings[0]["code"] == "whitespace"
    assert job.warnings[0]["value"] == "  Sempaja   Selatan "
    assert region_names(db)["64.72.05.1004"] == "Sempaja Selatan"


def test_an_unknown_kind_word_is_its_own_problem_naming_the_accepted_words(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "kinds.csv"
    path.write_text(
        "code,name,kind\n64,Kalimantan Timur,\n64.01,Kabupaten Paser,Kab\n64.01.01,Batu Sopang,\n"
        "64.01.01.3007,Desa Satu,desa_adat\n64.01.01.3008,Desa Dua,Desa-Adat\n"
        "64.01.01.1009,Kel Tiga, KELURAHAN \n64.01.01.2010,Desa Empat,desa_adatt\n"
    )
    job = import_now(db, [path], edition=EditionInfo("kinds"))
    assert job.status is JobStatus.failed
    assert [(e["line"], e["field"], e["code"], e["value"]) for e in job.errors] == [
        (8, "kind", "unknown_kind", "desa_adatt")
    ]
    message = job.errors[0]["message"]
    assert message.startswith("'desa_adatt' is not a kind this list knows; write one of:")
    assert "kabupaten, kab, kota, desa, desa adat, kelurahan" in message


def test_kind_words_differing_only_by_case_spaces_hyphens_underscores_are_one_word(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "kinds.csv"
    path.write_text(
        "code,name,kind\n64,Kalimantan Timur,\n64.01,Kabupaten Paser,KAB\n64.01.01,Batu Sopang,\n"
        "64.01.01.3007,Desa Satu,desa_adat\n64.01.01.3008,Desa Dua,Desa-Adat\n"
        "64.01.01.3009,Desa Tiga,DESA  ADAT\n64.01.01.1010,Kel Empat, kelurahan \n"
    )
    job = import_now(db, [path], edition=EditionInfo("kinds"))
    assert job.status is JobStatus.succeeded, job.errors
    assert region_count(db) == 7
