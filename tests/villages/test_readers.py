"""The forms the list circulates in all read to the same regions (no database needed)."""

from __future__ import annotations

import gzip
import shutil
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from shared.imports.problems import Report
from shared.models import RegionKind, RegionLevel
from shared.villages.readers import read_sources
from shared.villages.validation import validate
from tests.villages.common import BAD, FORMS, VILLAGES, WILAYAH_2025

EXPECTED = {
    "64": "Kalimantan Timur",
    "64.72": "Kota Samarinda",
    "64.72.05": "Samarinda Utara",
    "64.72.05.1003": "Lempake",
}


def parse(*paths: Path) -> tuple[dict[str, str], Report]:
    report = Report(limit=100)
    edition = validate(read_sources(list(paths), report), report)
    return {code: r.name for code, r in edition.regions.items()}, report


def _xlsx(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kode", "Nama"])
    for code, name in EXPECTED.items():
        sheet.append([code, name])
    book.save(path)
    return path


@pytest.mark.parametrize("name", ["semicolon_bom.csv", "tabs.tsv", "list.json"])
def test_flat_forms_read_the_same_regions(name: str) -> None:
    regions, report = parse(FORMS / name)
    assert not report.failed(), report.errors
    assert regions == EXPECTED


def test_xlsx_first_sheet_reads_the_same_regions(tmp_path: Path) -> None:
    regions, report = parse(_xlsx(tmp_path / "list.xlsx"))
    assert not report.failed(), report.errors
    assert regions == EXPECTED


def test_gzip_and_zip_of_a_flat_list_read_the_same_regions(tmp_path: Path) -> None:
    gz = tmp_path / "list.csv.gz"
    with (FORMS / "semicolon_bom.csv").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    archive = tmp_path / "flat.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(FORMS / "list.json", "inner/list.json")
    for path in (gz, archive):
        regions, report = parse(path)
        assert not report.failed(), report.errors
        assert regions == EXPECTED


def test_per_level_folder_and_zip_read_the_same_edition(tmp_path: Path) -> None:
    archive = tmp_path / "wilayah.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in WILAYAH_2025.glob("*.csv"):
            z.write(path, f"wilayah/{path.name}")
    from_folder, report = parse(WILAYAH_2025)
    assert not report.failed(), report.errors
    from_zip, report = parse(archive)
    assert not report.failed(), report.errors
    assert from_folder == from_zip
    assert len(from_folder) == 1 + 10 + 105 + 1038
    assert from_folder["64.72.05.1003"] == "Lempake"


def test_parents_come_before_children_whatever_the_file_order(tmp_path: Path) -> None:
    path = tmp_path / "reversed.csv"
    lines = (FORMS / "tabs.tsv").read_text().splitlines()
    path.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    report = Report(limit=10)
    edition = validate(read_sources([path], report), report)
    assert [r.level for r in edition.regions.values()] == list(RegionLevel)


def test_village_digit_three_is_a_customary_desa(tmp_path: Path) -> None:
    path = tmp_path / "adat.csv"
    path.write_text(
        "code,name\n91,Papua\n91.03,Kabupaten Jayapura\n91.03.01,Sentani\n"
        "91.03.01.3007,Desa Adat Yoboi\n91.03.01.1001,Hinekombe\n"
    )
    report = Report(limit=10)
    edition = validate(read_sources([path], report), report)
    assert not report.failed(), report.errors
    adat = edition.regions["91.03.01.3007"]
    assert (adat.kind, adat.customary) == (RegionKind.desa, True)
    assert edition.regions["91.03.01.1001"].kind is RegionKind.kelurahan
    assert edition.regions["91.03"].kind is RegionKind.kabupaten


def test_older_edition_regency_prefixes_agree_with_codes() -> None:
    # 2022 writes "KAB. PASER" and "KOTA BALIKPAPAN": both prefixes are understood.
    regions, report = parse(VILLAGES.parent / "wilayah" / "2022-64")
    assert not report.failed(), report.errors
    assert regions["64.01"] == "KAB. PASER"


def test_whitespace_is_normalised_with_a_warning() -> None:
    regions, report = parse(VILLAGES / "whitespace.csv")
    assert not report.failed()
    assert regions["64.72.05.1004"] == "Sempaja Selatan"
    (warning,) = report.warnings
    assert (warning.code, warning.line, warning.field) == ("whitespace", 6, "name")


def test_a_folder_without_the_four_files_is_refused(tmp_path: Path) -> None:
    shutil.copy(BAD / "bad_code.csv", tmp_path / "provinces.csv")
    _, report = parse(tmp_path)
    assert report.errors[0].code == "missing_file"
    assert "regencies.csv" in report.errors[0].message
