"""Readers for the forms the official list circulates in, streaming one row at a time.

Two shapes, one row type:

- a flat list of ``code,name`` rows for every level in one file, the level told by the shape of
  the code, as CSV (UTF-8 with or without BOM; comma, semicolon or tab; headers ``code,name`` or
  ``kode,nama`` in any case), XLSX (first sheet) or JSON (an array of objects);
- the four per-level CSV files of the official data (``provinces.csv``, ``regencies.csv``,
  ``districts.csv``, ``villages.csv``) in a folder or a ``.zip``. They are the flat form with two
  more columns (the parent code and the kind), so they go through the same reader and those
  columns are checked when present.

Files may be gzip-compressed (``.csv.gz``, ``.json.gz``). Readers never hold a file in memory:
CSV is decoded line by line (so a bad byte is reported with its line), XLSX is read with
openpyxl's read-only mode, JSON with an incremental decoder over 64 KiB chunks.

Compressed input is capped: a gzip stream, zip member or workbook part that unpacks to more
than ``MAX_UNPACKED_BYTES`` is refused (zip sizes are checked from the archive's directory
before anything is decompressed; a zip member never yields more than its declared size), so a
"zip bomb" costs a directory read, not gigabytes. XLSX formula cells are refused, never
evaluated nor replaced by a cached result.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple, NoReturn, cast

from shared.models import RegionLevel
from shared.villages import problems as p
from shared.villages.problems import Report

CODE_HEADERS = {"code", "kode", "kode_wilayah", "kode wilayah"}
NAME_HEADERS = {"name", "nama", "nama_wilayah", "nama wilayah"}
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

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
JSON_SUFFIXES = {".json"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
DATA_SUFFIXES = CSV_SUFFIXES | JSON_SUFFIXES | XLSX_SUFFIXES

# The national list is ~6 MB as CSV and ~15 MB unpacked as XLSX: this leaves room for growth
# while refusing archives built to unpack to gigabytes.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024


class SourceRow(NamedTuple):  # a tuple: cheap to build 91,599 times
    """One row as read: raw strings, with where it came from."""

    file: str
    line: int
    code: str
    name: str
    parent: str | None = None  # the parent-code column, when the file has one
    kind: str | None = None  # the kind column, when the file has one
    expected_level: RegionLevel | None = None  # from the file name (villages.csv, ...)


class _StopFile(Exception):
    """The rest of this file cannot be read; its problem is already reported."""


class _TooLarge(Exception):
    """Decompressed input passed ``MAX_UNPACKED_BYTES``."""


class _Capped(io.RawIOBase):
    """A byte stream that raises :class:`_TooLarge` once more than ``limit`` bytes were read:
    gzip carries no trustworthy size, so it is counted while it unpacks."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise _TooLarge
        buffer[: len(data)] = data
        return len(data)


def _capped(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(_Capped(stream, MAX_UNPACKED_BYTES)))


def zip_too_large(archive: zipfile.ZipFile) -> str | None:
    """Why an archive must not be unpacked (its declared sizes), or None. zipfile never
    returns more than a member's declared size, so the directory is a safe bound."""
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED_BYTES:
        return (
            f"the archive unpacks to {total:,} bytes, over the limit of"
            f" {MAX_UNPACKED_BYTES:,}: refused without unpacking"
        )
    return None


def _strip_compression(name: str) -> tuple[str, bool]:
    lower = name.lower()
    if lower.endswith(".gz"):
        return lower[:-3], True
    return lower, False


def _data_suffix(name: str) -> str:
    plain, _ = _strip_compression(name)
    return Path(plain).suffix


def _level_of_name(name: str) -> RegionLevel | None:
    plain, _ = _strip_compression(Path(name).name)
    return LEVEL_FILES.get(Path(plain).stem)


def read_sources(sources: list[Path], report: Report) -> Iterator[SourceRow]:
    """Every row of every source, in order. Problems that stop a file go to ``report``."""
    for source in sources:
        yield from _read_source(source, report)


def _read_source(source: Path, report: Report) -> Iterator[SourceRow]:
    if source.is_dir():
        yield from _read_folder(source, report)
    elif not source.exists():
        report.error(p.MISSING_FILE, f"{source} does not exist", file=source.name)
    elif source.name.lower().endswith(".zip"):
        yield from _read_zip(source, report)
    else:
        with ExitStack() as stack:
            stream = _open_file(source, stack)
            yield from _read_stream(stream, source.name, source.name, report)


def _open_file(path: Path, stack: ExitStack) -> IO[bytes]:
    _, compressed = _strip_compression(path.name)
    raw: IO[bytes] = stack.enter_context(path.open("rb"))
    if compressed:
        return _capped(cast(IO[bytes], stack.enter_context(gzip.open(raw, "rb"))))
    return raw


def _per_level_members(names: list[str]) -> dict[RegionLevel, str]:
    found: dict[RegionLevel, str] = {}
    for name in names:
        if _data_suffix(name) not in CSV_SUFFIXES:
            continue
        level = _level_of_name(name)
        if level is not None and level not in found:
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
            stream = _open_file(path, stack)
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
            data = [n for n in names if _data_suffix(n) in DATA_SUFFIXES]
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
            shown = f"{path.name}:{member}"
            with ExitStack() as stack:
                stream: IO[bytes] = stack.enter_context(archive.open(member))
                if member.lower().endswith(".gz"):
                    stream = _capped(cast(IO[bytes], stack.enter_context(gzip.open(stream, "rb"))))
                yield from _read_stream(stream, member, shown, report)


def _read_stream(stream: IO[bytes], name: str, shown: str, report: Report) -> Iterator[SourceRow]:
    suffix = _data_suffix(name)
    level = _level_of_name(name)
    try:
        if suffix in CSV_SUFFIXES:
            yield from _read_csv(stream, shown, level, report)
        elif suffix in JSON_SUFFIXES:
            yield from _read_json(stream, shown, level, report)
        elif suffix in XLSX_SUFFIXES:
            yield from _read_xlsx(stream, shown, level, report)
        else:
            report.error(
                p.UNKNOWN_FORMAT,
                f"unknown file type {suffix or '(none)'}: use .csv, .tsv, .xlsx, .json"
                " (optionally .gz), a .zip or a folder of the four per-level CSV files",
                file=shown,
            )
    except _StopFile:
        return
    except _TooLarge:
        report.error(
            p.FILE_TOO_LARGE,
            f"the file unpacks to more than {MAX_UNPACKED_BYTES:,} bytes: refused",
            file=shown,
        )
    except (OSError, EOFError, gzip.BadGzipFile, zipfile.BadZipFile, zlib.error) as exc:
        report.error(p.UNREADABLE_FILE, f"the file cannot be read: {exc}", file=shown)


# --- header handling ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    code: int
    name: int
    parent: int | None
    kind: int | None


def _columns(header: list[Any], shown: str, line: int, report: Report) -> _Columns | None:
    normal = [str(h).strip().lower() if h is not None else "" for h in header]
    if normal and normal[0].startswith("\ufeff"):
        normal[0] = normal[0][1:]

    def find(names: set[str]) -> int | None:
        for i, h in enumerate(normal):
            if h in names:
                return i
        return None

    code, name = find(CODE_HEADERS), find(NAME_HEADERS)
    if code is None or name is None:
        missing = [label for label, i in (("code", code), ("name", name)) if i is None]
        report.error(
            p.MISSING_COLUMNS,
            f"missing column(s) {', '.join(missing)}: the header must name"
            " code (or kode) and name (or nama)",
            file=shown,
            line=line,
            field="header",
            value=",".join(str(h) for h in header if h is not None),
        )
        return None
    return _Columns(code=code, name=name, parent=find(PARENT_HEADERS), kind=find(KIND_HEADERS))


def _cell(row: list[Any] | tuple[Any, ...], index: int | None) -> str | None:
    if index is None or index >= len(row):
        return None
    value = row[index]
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _row(
    values: list[Any] | tuple[Any, ...],
    cols: _Columns,
    shown: str,
    line: int,
    level: RegionLevel | None,
) -> SourceRow:
    return SourceRow(
        file=shown,
        line=line,
        code=_cell(values, cols.code) or "",
        name=_cell(values, cols.name) or "",
        parent=_cell(values, cols.parent),
        kind=_cell(values, cols.kind),
        expected_level=level,
    )


def _blank(values: list[Any] | tuple[Any, ...]) -> bool:
    return all(v is None or str(v).strip() == "" for v in values)


# --- CSV ----------------------------------------------------------------------------------


class _Lines:
    """Decodes a byte stream line by line, remembering which lines were not UTF-8."""

    def __init__(self, stream: IO[bytes], shown: str, report: Report) -> None:
        self._stream = stream
        self._shown = shown
        self._report = report
        self.number = 0
        self.rows = 0  # rows yielded (counted here so the row loop can be a generator)
        self.bad: set[int] = set()

    def __iter__(self) -> Iterator[str]:
        for raw in self._stream:
            self.number += 1
            if self.number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.bad.add(self.number)
                self._report.error(
                    p.BAD_ENCODING,
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1};"
                    " save the file as UTF-8",
                    file=self._shown,
                    line=self.number,
                    value=raw.decode("utf-8", errors="replace").rstrip("\r\n"),
                )
                # Keep the line count right for the rows after it; the row is dropped.
                yield raw.decode("utf-8", errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(
    stream: IO[bytes], shown: str, level: RegionLevel | None, report: Report
) -> Iterator[SourceRow]:
    lines = _Lines(stream, shown, report)
    it = iter(lines)
    first: str | None = None
    for candidate in it:
        if candidate.strip():
            first = candidate
            break
    if first is None:
        report.error(p.EMPTY_FILE, "the file is empty", file=shown, line=lines.number or None)
        return
    header_line = lines.number
    if header_line in lines.bad:
        raise _StopFile
    delimiter = _delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:
        _csv_error(exc, shown, header_line, report)
    cols = _columns(header, shown, header_line, report)
    if cols is None:
        return
    code_i, name_i, parent_i, kind_i = cols.code, cols.name, cols.parent, cols.kind
    width = max(i for i in (code_i, name_i, parent_i, kind_i) if i is not None) + 1
    try:
        yield from _csv_rows(it, lines, delimiter, cols, width, shown, level)
    except csv.Error as exc:
        _csv_error(exc, shown, lines.number, report)
    if lines.rows == 0:
        report.error(p.EMPTY_FILE, "the file has a header but no rows", file=shown, line=1)


def _csv_error(exc: csv.Error, shown: str, line: int, report: Report) -> NoReturn:
    """The csv module gave up (a cell over its size limit, a stray carriage return): the rest
    of the file cannot be split into rows, so it stops here with the line it reached."""
    message = str(exc)
    if "field larger than field limit" in message:
        message = (
            f"a cell is longer than {csv.field_size_limit():,} characters"
            " (an unclosed quote swallowing the lines after it?)"
        )
    report.error(
        p.UNREADABLE_FILE, f"the CSV cannot be split into rows here: {message}",
        file=shown, line=line,
    )  # fmt: skip
    raise _StopFile


def _csv_rows(
    it: Iterator[str],
    lines: _Lines,
    delimiter: str,
    cols: _Columns,
    width: int,
    shown: str,
    level: RegionLevel | None,
) -> Iterator[SourceRow]:
    code_i, name_i, parent_i, kind_i = cols.code, cols.name, cols.parent, cols.kind
    bad = lines.bad
    for values in csv.reader(it, delimiter=delimiter):
        line = lines.number
        if bad and line in bad:
            continue
        if len(values) < width:
            if _blank(values):
                continue
            values = values + [""] * (width - len(values))
        elif not values[code_i] and _blank(values):
            continue
        lines.rows += 1
        # Built inline: this loop runs 91,599 times for the national list.
        yield SourceRow(
            shown,
            line,
            values[code_i],
            values[name_i],
            None if parent_i is None else values[parent_i],
            None if kind_i is None else values[kind_i],
            level,
        )


# --- XLSX ---------------------------------------------------------------------------------


def _read_xlsx(
    stream: IO[bytes], shown: str, level: RegionLevel | None, report: Report
) -> Iterator[SourceRow]:
    from openpyxl import load_workbook

    # openpyxl needs a seekable file; a zip member or gzip stream is not one.
    source: IO[bytes] = stream if stream.seekable() else io.BytesIO(stream.read())
    try:
        with zipfile.ZipFile(source) as parts:
            too_large = zip_too_large(parts)
        if too_large is not None:
            report.error(p.FILE_TOO_LARGE, too_large, file=shown)
            return
        source.seek(0)
        # data_only=False: a formula cell reads as its "=..." text, so it can be refused;
        # data_only=True would silently take whatever result the last program cached.
        book = load_workbook(source, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises a zoo of types for a broken workbook
        report.error(p.UNREADABLE_FILE, f"not a readable XLSX workbook: {exc}", file=shown)
        return
    try:
        if not book.worksheets:
            report.error(p.EMPTY_FILE, "the workbook has no sheet", file=shown)
            return
        sheet = book.worksheets[0]
        where = f"{shown}[{sheet.title}]"
        cols: _Columns | None = None
        rows = 0
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if _blank(values):
                continue
            if cols is None:
                cols = _columns(list(values), where, number, report)
                if cols is None:
                    return
                continue
            rows += 1
            formula = next(
                (v for v in values if isinstance(v, str) and v.startswith("=") and len(v) > 1),
                None,
            )
            if formula is not None:
                report.error(
                    p.FORMULA_CELL,
                    "formula cells are not accepted: paste the values (the formula was not"
                    " evaluated)",
                    file=where, line=number, value=formula,
                )  # fmt: skip
                continue
            yield _row(values, cols, where, number, level)
        if cols is None:
            report.error(p.EMPTY_FILE, "the first sheet is empty", file=where)
        elif rows == 0:
            report.error(p.EMPTY_FILE, "the first sheet has a header but no rows", file=where)
    finally:
        book.close()


# --- JSON ---------------------------------------------------------------------------------

_SPACE = re.compile(r"[ \t\r\n]*")
_CHUNK = 1 << 16


def _read_json(
    stream: IO[bytes], shown: str, level: RegionLevel | None, report: Report
) -> Iterator[SourceRow]:
    """An array of objects, decoded object by object (the file is never held whole)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig")
    decoder = json.JSONDecoder()
    buf = ""
    pos = 0
    line = 1
    eof = False

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        try:
            chunk = text.read(_CHUNK)
        except UnicodeDecodeError as exc:
            report.error(
                p.BAD_ENCODING,
                f"not UTF-8 near line {line + buf.count(chr(10), pos)}: {exc.reason}",
                file=shown,
                line=line,
            )
            raise _StopFile from exc
        if not chunk:
            eof = True
            return False
        buf = buf[pos:] + chunk
        pos = 0
        return True

    def skip_space() -> None:
        nonlocal pos, line
        while True:
            m = _SPACE.match(buf, pos)
            assert m is not None
            line += buf.count("\n", pos, m.end())
            pos = m.end()
            if pos < len(buf) or not more():
                return

    def syntax(message: str) -> NoReturn:
        report.error(p.UNREADABLE_FILE, f"invalid JSON: {message}", file=shown, line=line)
        raise _StopFile

    skip_space()
    if pos >= len(buf):
        report.error(p.EMPTY_FILE, "the file is empty", file=shown, line=1)
        return
    if buf[pos] != "[":
        syntax("expected an array of objects ([{...}, ...])")
    pos += 1
    items = 0
    while True:
        skip_space()
        if pos >= len(buf):
            syntax("the array is not closed")
        if buf[pos] == "]":
            break
        if items:
            if buf[pos] != ",":
                syntax("expected ',' between objects")
            pos += 1
            skip_space()
        start_line = line
        while True:
            try:
                obj, end = decoder.raw_decode(buf, pos)
                break
            except json.JSONDecodeError as exc:
                # Maybe the object runs past the chunk: read more and retry.
                if not more():
                    syntax(exc.msg)
            except RecursionError:
                syntax(f"item {items + 1} is nested too deeply")
            except ValueError as exc:  # e.g. an integer of thousands of digits
                syntax(f"item {items + 1}: {exc}")
        line += buf.count("\n", pos, end)
        pos = end
        items += 1
        if not isinstance(obj, dict):
            report.error(
                p.BAD_ROW,
                f"item {items} is not an object",
                file=shown,
                line=start_line,
                value=json.dumps(obj)[:100],
            )
            continue
        keys = {str(k).strip().lower(): v for k, v in obj.items()}
        code_key = next((k for k in keys if k in CODE_HEADERS), None)
        name_key = next((k for k in keys if k in NAME_HEADERS), None)
        if code_key is None or name_key is None:
            report.error(
                p.MISSING_COLUMNS,
                f"item {items} lacks code (or kode) or name (or nama)",
                file=shown,
                line=start_line,
                field="code" if code_key is None else "name",
                value=",".join(obj),
            )
            continue
        parent_key = next((k for k in keys if k in PARENT_HEADERS), None)
        kind_key = next((k for k in keys if k in KIND_HEADERS), None)
        values = [keys[code_key], keys[name_key]]
        cols = _Columns(0, 1, None, None)
        if parent_key is not None:
            values.append(keys[parent_key])
            cols = _Columns(0, 1, len(values) - 1, None)
        if kind_key is not None:
            values.append(keys[kind_key])
            cols = _Columns(0, 1, cols.parent, len(values) - 1)
        yield _row(values, cols, shown, start_line, level)
    if items == 0:
        report.error(p.EMPTY_FILE, "the array is empty", file=shown, line=1)
