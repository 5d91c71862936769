"""Property-based tests of the file readers and the code parsers: any bytes give problems with
a stable code and a place, never an exception; valid content reads back as written."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.imports import cells as parsing
from shared.imports.problems import InvalidFile, Report
from shared.models import LEVEL_BY_CODE_LENGTH, RegionKind, RegionLevel
from shared.models import REGION_CODE as CODE_SHAPE
from shared.registry import rows as cooperatives
from shared.villages import problems as p
from shared.villages.readers import SourceRow, read_sources
from shared.villages.validation import kind_of, validate

KNOWN_CODES = {v for k, v in vars(p).items() if k.isupper() and isinstance(v, str)}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Bytes that look like the files: header-ish text, separators, quotes, odd newlines, BOMs,
# invalid UTF-8 and deep brackets, mixed with noise.
_PIECES = st.sampled_from(
    [
        b"code,name\n",
        b"kode;nama\r\n",
        b"code\tname\tkind\n",
        b"\xef\xbb\xbf",
        b"64",
        b"64.72",
        b"64.72.05.1003",
        b",",
        b";",
        b"\t",
        b'"',
        b"\n",
        b"\r",
        b"\r\n",
        b"\x00",
        b"\xff",
        b"\xc3",
        b"[",
        b"]",
        b"{",
        b"}",
        b'{"code":"64","name":"X"}',
        b"Kota Samarinda",
        b"=1+1",
        b"9" * 40,
        b"\\u0000",
        b"NaN",
    ]
)
FILE_BYTES = st.one_of(
    st.binary(max_size=400),
    st.lists(st.one_of(_PIECES, st.binary(max_size=8)), max_size=60).map(b"".join),
)


def _read(data: bytes, suffix: str) -> Report:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"list{suffix}"
        path.write_bytes(data)
        report = Report(limit=50)
        validate(read_sources([path], report), report)
        return report


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".json", ".xlsx", ".zip", ".csv.gz"])
@FAST
@given(data=FILE_BYTES)
def test_any_bytes_give_coded_problems_never_an_exception(suffix: str, data: bytes) -> None:
    report = _read(data, suffix)
    for problem in report.errors + report.warnings:
        assert problem.code in KNOWN_CODES, problem
        assert problem.message, problem
        assert problem.file, problem
    if not report.failed():
        # Accepted input must have at least one row: empty files are errors.
        assert data.strip(), data


VILLAGE_NAME = st.text(
    alphabet=st.characters(
        codec="utf-8", categories=["L", "M", "N", "P", "S", "Zs"], exclude_characters="\u2028\u2029"
    ),
    min_size=1,
    max_size=60,
).filter(lambda s: s.strip() and not s.strip().startswith("="))


@st.composite
def province_lists(draw: st.DrawFn) -> list[tuple[str, str]]:
    """A province, its regencies, districts and villages: codes valid by construction."""
    province = f"{draw(st.integers(11, 99)):02d}"
    rows = [(province, draw(VILLAGE_NAME))]
    for r in draw(st.sets(st.integers(1, 69) | st.integers(71, 99), min_size=1, max_size=3)):
        regency = f"{province}.{r:02d}"
        # A name that does not claim the other kind (validation compares them).
        rows.append((regency, "Wilayah " + draw(VILLAGE_NAME)))
        for d in draw(st.sets(st.integers(1, 99), min_size=1, max_size=2)):
            district = f"{regency}.{d:02d}"
            rows.append((district, draw(VILLAGE_NAME)))
            for v in draw(st.sets(st.integers(1000, 3999), min_size=1, max_size=3)):
                rows.append((f"{district}.{v}", draw(VILLAGE_NAME)))
    return rows


@FAST
@given(
    rows=province_lists(),
    delimiter=st.sampled_from([",", ";", "\t"]),
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
    header=st.sampled_from([("code", "name"), ("KODE", "Nama"), ("kode_wilayah", "nama")]),
)
def test_valid_csv_reads_back_exactly(
    rows: list[tuple[str, str]],
    delimiter: str,
    newline: str,
    bom: bool,
    header: tuple[str, str],
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + out.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.csv"
        path.write_text(data, encoding="utf-8", newline="")
        report = Report(limit=50)
        edition = validate(read_sources([path], report), report)
    assert not report.failed(), report.errors
    assert {c: r.name for c, r in edition.regions.items()} == {
        code: " ".join(name.split()) for code, name in rows
    }


@FAST
@given(rows=province_lists())
def test_valid_json_reads_back_exactly(rows: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "list.json"
        path.write_text(json.dumps([{"kode": c, "nama": n} for c, n in rows]), encoding="utf-8")
        report = Report(limit=50)
        edition = validate(read_sources([path], report), report)
    assert not report.failed(), report.errors
    assert list(edition.regions) == [c for level in RegionLevel for c, _ in rows
                                     if LEVEL_BY_CODE_LENGTH[len(c)] is level]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(code=st.text(max_size=16) | st.from_regex(r"\A\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?\Z"))
def test_code_shape_accepts_only_ascii_codes_and_kind_never_raises(code: str) -> None:
    if not CODE_SHAPE.fullmatch(code):
        return
    assert code.isascii(), code
    level = LEVEL_BY_CODE_LENGTH[len(code)]
    implied = kind_of(code, level)
    if isinstance(implied, tuple):
        kind, customary = implied
        if level is RegionLevel.village:
            assert kind is (RegionKind.kelurahan if code[9] == "1" else RegionKind.desa)
            assert customary == (code[9] == "3")
        if level is RegionLevel.regency:
            assert kind is (RegionKind.kota if int(code[3:5]) >= 71 else RegionKind.kabupaten)


@settings(max_examples=500, deadline=None)
@given(value=st.text(max_size=40))
def test_registry_cell_parsers_never_raise(value: str) -> None:
    issues = Report(limit=10)
    number = parsing.count(issues, 2, "member_count", value)
    assert number is None or number >= 0
    parsing.day(issues, 2, "legal_entity_on", value)
    parsing.flag(issues, 2, "is_mockup", value)
    parsing.text(issues, 2, "name", value, max_length=20)
    for code in parsing.codes(issues, 2, "village_codes", value, required=False):
        assert code.isascii()
        assert parsing.VILLAGE_CODE.match(code)
    for issue in issues.errors:
        assert issue.line == 2, issue
        assert issue.field, issue
        assert issue.message, issue


# Superscript two, Arabic-Indic 12 and 64.72.05.1003: str.isdigit() and \d say yes to them.
@pytest.mark.parametrize(
    "value",
    [
        "\u00b2",
        "\u0661\u0662",
        "1\n",
        "\u0666\u0664.\u0667\u0662.\u0660\u0665.\u0661\u0660\u0660\u0663",
    ],
)
def test_registry_parsers_refuse_non_ascii_digits(value: str) -> None:
    issues = Report(limit=10)
    assert parsing.count(issues, 2, "member_count", value) is None or value.strip().isascii()
    assert parsing.codes(issues, 2, "village_codes", value, required=False) == []


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@FAST
@given(data=FILE_BYTES)
def test_registry_files_of_any_bytes_are_refused_or_parsed_never_crash(
    suffix: str, data: bytes
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"registry{suffix}"
        path.write_bytes(data)
        issues = Report(limit=20)
        refused = False
        try:
            cooperatives.parse(path, issues)
        except InvalidFile:
            refused = True
        assert not refused or issues.errors, data
        for issue in issues.errors:
            assert issue.code, issue
            assert issue.message, issue


# --- the plain-village fast path agrees with the full checks --------------------------------

_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=5)
_CODES = st.one_of(
    st.builds(
        lambda a, b, c, d, e: f"{a}.{b}.{c}.{d}{e}",
        st.text(alphabet="0123456789", min_size=2, max_size=2),
        st.sampled_from(["01", "72", "00", "7"]),
        st.sampled_from(["05", "00", "5 "]),
        st.sampled_from(["0", "1", "2", "3", "4", "٢"]),
        st.sampled_from(["003", "999", "03", "0031"]),
    ),
    _DIGITS,
    st.text(max_size=15),
)
_NAMES = st.one_of(
    st.sampled_from(["Lempake", "Sindu Batu Raja", "II", "Kota Baru", "A" * 200, "A" * 201]),
    st.text(alphabet=st.sampled_from(list("Ab .-'\t\n\x00\x1f\xa0\u200b\u2028é")), max_size=12),
)


@settings(max_examples=500, deadline=None)
@given(
    code=_CODES,
    name=_NAMES,
    parent=st.one_of(st.none(), st.sampled_from(["", "64.72.05", " 64.72.05", "64.72"])),
    kind=st.one_of(
        st.none(), st.sampled_from(["desa", "kelurahan", "desa adat", "Desa", " desa", "kota", ""])
    ),
    expected=st.sampled_from([None, RegionLevel.village, RegionLevel.district]),
)
def test_the_plain_village_fast_path_only_takes_rows_the_full_checks_pass_silently(
    code: str, name: str, parent: str | None, kind: str | None, expected: RegionLevel | None
) -> None:
    from shared.villages.validation import _check_row, _plain_village

    row = SourceRow("villages.csv", 7, code, name, parent, kind, expected)
    fast = _plain_village(row)
    report = Report(limit=10)
    full = _check_row(row, {}, report)
    if fast is not None:
        assert fast == full
        assert report.error_count == 0
        assert report.warning_count == 0


def test_the_official_list_takes_the_fast_path() -> None:
    from shared.villages.validation import _plain_village
    from tests.villages.common import WILAYAH_2025

    rows = list(read_sources([WILAYAH_2025], Report(limit=10)))
    villages = [r for r in rows if r.expected_level is RegionLevel.village]
    assert len(villages) == 1038
    assert all(_plain_village(r) is not None for r in villages)
    assert all(_plain_village(r) is None for r in rows if r not in villages)
