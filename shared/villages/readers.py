"""The forms the official list circulates in, read one row at a time into one row type.

Two shapes:

- a flat list of ``code,name`` rows for every level in one file, the level told by the shape of
  the code: CSV, XLSX or JSON as the shared tabular reader takes them, with headers
  ``code,name`` or ``kode,nama`` in any case;
- the four per-level CSV files of the official data (``provinces.csv``, ``regencies.csv``,
  ``districts.csv``, ``villages.csv``) in a folder or a ``.zip``. They are the flat form with two
  more columns (the parent code and the kind), so they go through the same reader and those
  columns are checked when present.

Files may be gzip-compressed (``.csv.gz``, ``.json.gz``); archives and compressed streams are
capped (see :mod:`shared.imports.files`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import IO, NamedTuple

from shared.imports.files import gunzipped, open_file, without_gz, zip_too_large
from shared.imports.problems import Report
from shared.imports.tabular import Format, Table, format_of_name, read_table
from shared.models import RegionLevel
from shared.villages import problems as p

CODE_HEADERS = {"code", "kode", "kode_wilayah"}
NAME_HEADERS = {"name", "nama", "nama_wilayah"}
PARENT_HEADERS = {
    "parent_code",
    "province_code",
    "regency_code",
    "district_code",
    "kode_induk",
    "kode_provinsi",
    "kode_kabupaten",
    "kode_kecamatan",
}
KIND_HEADERS = {"kind", "jenis"}

# The per-level files of the official data, in the order parents come before children.
LEVEL_FILES: dict[str, RegionLevel] = {
    "provinces": RegionLevel.province,
    "regencies": RegionLevel.regency,
    "districts": RegionLevel.district,
    "villages": RegionLevel.village,
}


class SourceRow(NamedTuple):  # a tuple: cheap to build 91,599 times
    """One row as read: raw strings, with where it came from."""

    file: str
    line: int
    code: str
    name: str
    parent: str | None = None  # the parent-code column, when the file has one
    kind: str | None = None  # the kind column, when the file has one
    expected_level: RegionLevel | None = None  # from the file name (villages.csv, ...)


def _level_of_name(name: str) -> RegionLevel | None:
    return LEVEL_FILES.get(Path(without_gz(Path(name).name)[0]).stem)


def read_sources(sources: list[Path], report: Report) -> Iterator[SourceRow]:
    """Every row of every source, in order. Problems that stop a file go to ``report``."""
    for source in sources:
        if source.is_dir():
            yield from _read_folder(source, report)
        elif not source.exists():
            report.error(p.MISSING_FILE, f"{source} does not exist", file=source.name)
        elif source.name.lower().endswith(".zip"):
            yield from _read_zip(source, report)
        else:
            with ExitStack() as stack:
                stream = open_file(source, stack)
                yield from _read_stream(stream, source.name, source.name, report)


def _per_level_members(names: list[str]) -> dict[RegionLevel, str]:
    found: dict[RegionLevel, str] = {}
    for name in names:
        level = _level_of_name(name)
        if level is not None and level not in found and format_of_name(name) is Format.csv:
            found[level] = name
    return found


def _read_folder(folder: Path, report: Report) -> Iterator[SourceRow]:
    files = sorted(f.name for f in folder.iterdir() if f.is_file())
    found = _per_level_members(files)
    missing = [stem for stem, level in LEVEL_FILES.items() if level not in found]
    if missing:
        report.error(
            p.MISSING_FILE,
            f"the folder must hold the four per-level files; missing: "
            f"{', '.join(m + '.csv' for m in missing)}",
            file=folder.name,
        )
        return
    for level in LEVEL_FILES.values():
        path = folder / found[level]
        with ExitStack() as stack:
            stream = open_file(path, stack)
            yield from _read_stream(stream, path.name, path.name, report)


def _read_zip(path: Path, report: Report) -> Iterator[SourceRow]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        report.error(p.UNREADABLE_FILE, f"not a readable zip archive: {exc}", file=path.name)
        return
    with archive:
        too_large = zip_too_large(archive)
        if too_large is not None:
            report.error(p.FILE_TOO_LARGE, too_large, file=path.name)
            return
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
        found = _per_level_members(names)
        if len(found) == len(LEVEL_FILES):
            members = [found[level] for level in LEVEL_FILES.values()]
        else:
            data = [n for n in names if format_of_name(n) is not None]
            if len(data) != 1:
                report.error(
                    p.MISSING_FILE,
                    "the archive must hold the four per-level CSV files (provinces.csv,"
                    " regencies.csv, districts.csv, villages.csv) or exactly one flat list",
                    file=path.name,
                )
                return
            members = data
        for member in members:
            with ExitStack() as stack:
                stream = gunzipped(stack.enter_context(archive.open(member)), member, stack)
                yield from _read_stream(stream, member, f"{path.name}:{member}", report)


def _read_stream(stream: IO[bytes], name: str, shown: str, report: Report) -> Iterator[SourceRow]:
    fmt = format_of_name(name)
    if fmt is None:
        suffix = Path(without_gz(name)[0]).suffix
        report.error(
            p.UNKNOWN_FORMAT,
            f"unknown file type {suffix or '(none)'}: use .csv, .tsv, .xlsx, .json"
            " (optionally .gz), a .zip or a folder of the four per-level CSV files",
            file=shown,
        )
        return
    with read_table(stream, fmt, shown, report) as table:
        if table is not None:
            yield from _rows(table, _level_of_name(name), report)


def _rows(table: Table, level: RegionLevel | None, report: Report) -> Iterator[SourceRow]:
    where = table.where or ""
    if not table.columns:
        report.error(p.EMPTY_FILE, "the file is empty", file=where, line=table.line or None)
        return

    def find(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(table.columns) if h in names), None)

    code_i, name_i = find(CODE_HEADERS), find(NAME_HEADERS)
    if code_i is None or name_i is None:
        missing = [label for label, i in (("code", code_i), ("name", name_i)) if i is None]
        report.error(
            p.MISSING_COLUMNS,
            f"missing column(s) {', '.join(missing)}: the header must name"
            " code (or kode) and name (or nama)",
            file=where,
            line=table.line,
            field="header",
            value=",".join(h for h in table.header if h),
        )
        return
    parent_i, kind_i = find(PARENT_HEADERS), find(KIND_HEADERS)
    used = {code_i, name_i, parent_i, kind_i}
    for i, header in enumerate(table.columns):
        if i not in used and header:
            # A renamed column (kecamatan for district_code) would otherwise go unchecked.
            known = ", ".join(sorted(CODE_HEADERS | NAME_HEADERS | PARENT_HEADERS | KIND_HEADERS))
            report.warning(
                p.UNKNOWN_COLUMN,
                f"column {header!r} is not used; ignored (known: {known})",
                file=where,
                line=table.line,
                field=header,
            )
    line = 0  # stays 0 when no row follows the header
    # Built inline: this loop runs 91,599 times for the national list.
    for line, cells in table.rows:
        yield SourceRow(
            where,
            line,
            cells[code_i],
            cells[name_i],
            None if parent_i is None else cells[parent_i],
            None if kind_i is None else cells[kind_i],
            level,
        )
    if line == 0:
        report.error(p.EMPTY_FILE, "the file has a header but no rows", file=where, line=1)
