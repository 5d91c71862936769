"""One streaming reader for tabular files: CSV, XLSX and JSON, for every import.

A table is a header and rows of cells:

- CSV: UTF-8 with or without BOM, separated by comma, semicolon or tab (whichever the header
  line holds most of); decoded line by line, so a bad byte is reported with its line and only
  that row is lost;
- XLSX: the first sheet, read with openpyxl's read-only mode; formula cells are refused (one
  problem per cell), never evaluated nor replaced by the result another program cached;
- JSON: an array of objects, decoded object by object from 64 KiB chunks; the first object's
  keys are the header (later objects add theirs).

The header is the first non-blank row; its names are normalised (lower case, spaces and dashes
to underscores), so "Registry ID" and "registry_id" are one column. Rows come as
``(line, cells)`` with blank rows skipped and short rows padded to the header's width; a cell
is always text, empty where the file has nothing (an XLSX date becomes an ISO date, a whole
number loses the ``.0`` a spreadsheet gives it). Nothing is ever held whole.

Problems that stop a file (undecodable header, unsplittable CSV, broken workbook or JSON,
decompressed input over the limit) go to the report and end the rows.
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
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, NoReturn

from shared.imports import problems as p
from shared.imports.files import MAX_UNPACKED_BYTES, TooLarge, without_gz, zip_too_large
from shared.imports.problems import Report

Row = tuple[int, list[str]]
# What reading a broken or truncated file raises (a broken workbook raises its own zoo).
_UNREADABLE = (OSError, EOFError, gzip.BadGzipFile, zipfile.BadZipFile, zlib.error)


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


_SUFFIXES = {
    ".csv": Format.csv,
    ".tsv": Format.csv,
    ".txt": Format.csv,
    ".xlsx": Format.xlsx,
    ".xlsm": Format.xlsx,
    ".json": Format.json,
}


def format_of_name(name: str) -> Format | None:
    """The format a file name says (``.csv``, ``.tsv``, ``.xlsx``, ``.json``, also ``.gz``)."""
    return _SUFFIXES.get(Path(without_gz(name)[0]).suffix)


def sniff_format(path: Path) -> Format:
    """A workbook by its zip signature whatever its name, JSON by name, else CSV."""
    with path.open("rb") as fh:
        if fh.read(4) == b"PK\x03\x04":
            return Format.xlsx
    return Format.json if format_of_name(path.name) is Format.json else Format.csv


@dataclass(frozen=True, slots=True)
class Codes:
    """The codes reading problems are reported with. Two vocabularies are public, so each
    import keeps its own where they differ (the registry's predates the shared reader)."""

    bad_encoding: str = p.BAD_ENCODING
    unsplittable: str = p.UNREADABLE_FILE  # a CSV the csv module cannot split into rows


def normalise(name: object) -> str:
    text = str(name if name is not None else "").strip().lstrip("\ufeff").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def cell_text(value: Any) -> str:
    """A workbook or JSON cell as text (an empty cell as "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def blank(cells: Iterable[Any]) -> bool:
    return all(c is None or str(c).strip() == "" for c in cells)


@dataclass(slots=True)
class Table:
    """An opened table. ``columns`` is empty when the file holds no row at all."""

    where: str | None  # the file as problems name it (a workbook's with its sheet)
    columns: list[str]  # normalised header names ("" for a blank header cell)
    header: list[str]  # the header as written
    line: int  # line (sheet row) of the header; for an empty table, the last line seen
    rows: Iterator[Row]


class _StopFile(Exception):
    """The rest of this file cannot be read; its problem is already reported."""


@contextmanager
def read_table(
    stream: IO[bytes],
    fmt: Format,
    where: str | None,
    report: Report,
    codes: Codes = Codes(),
) -> Iterator[Table | None]:
    """Open a table on ``stream``; None when it cannot be read (the report says why).

    Iterate the rows inside the ``with`` block: the stream (and workbook) stay open that long.
    """
    with ExitStack() as stack:
        reader = _Reader(where, report, codes)
        try:
            if fmt is Format.csv:
                table = reader.read_csv(stream)
            elif fmt is Format.xlsx:
                table = reader.read_xlsx(stream, stack)
            else:
                table = reader.read_json(stream)
        except _StopFile:
            table = None
        except Exception as exc:
            if not reader.reported(exc):
                raise
            table = None
        if table is not None:
            table.rows = reader.guarded(table.rows)
        yield table


class _Reader:
    def __init__(self, where: str | None, report: Report, codes: Codes) -> None:
        self.where = where
        self.report = report
        self.codes = codes

    def error(self, code: str, message: str, **where: Any) -> None:
        self.report.error(code, message, file=self.where, **where)

    def stop(self, code: str, message: str, **where: Any) -> NoReturn:
        self.error(code, message, **where)
        raise _StopFile

    def reported(self, exc: Exception) -> bool:
        """Report an exception that ends a file; False for one that is not about the file."""
        if isinstance(exc, TooLarge):
            self.error(
                p.FILE_TOO_LARGE,
                f"the file unpacks to more than {MAX_UNPACKED_BYTES:,} bytes: refused",
            )
        elif isinstance(exc, _UNREADABLE):
            self.error(p.UNREADABLE_FILE, f"the file cannot be read: {exc}")
        else:
            return False
        return True

    def guarded(self, rows: Iterator[Row]) -> Iterator[Row]:
        try:
            yield from rows
        except _StopFile:
            return
        except Exception as exc:
            if not self.reported(exc):
                raise

    # --- CSV ------------------------------------------------------------------------------

    def read_csv(self, stream: IO[bytes]) -> Table:
        lines = _Lines(stream, self)
        it = iter(lines)
        first = next((line for line in it if line.strip()), None)
        if first is None:
            return Table(self.where, [], [], lines.number, iter(()))
        header_line = lines.number
        if header_line in lines.bad:
            raise _StopFile
        counts = {d: first.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d])
        delimiter = delimiter if counts[delimiter] else ","
        try:
            header = next(csv.reader([first], delimiter=delimiter))
        except csv.Error as exc:
            self._unsplittable(exc, header_line)
        return Table(
            self.where,
            [normalise(h) for h in header],
            header,
            header_line,
            self._csv_rows(it, lines, delimiter, len(header)),
        )

    def _csv_rows(
        self, it: Iterator[str], lines: _Lines, delimiter: str, width: int
    ) -> Iterator[Row]:
        bad = lines.bad
        try:
            # Kept lean: this loop runs 91,599 times for the national village list.
            for values in csv.reader(it, delimiter=delimiter):
                line = lines.number
                if bad and line in bad:
                    continue
                if len(values) < width:
                    if blank(values):
                        continue
                    values += [""] * (width - len(values))
                elif not values[0] and blank(values):
                    continue
                yield line, values
        except csv.Error as exc:
            self._unsplittable(exc, lines.number)

    def _unsplittable(self, exc: csv.Error, line: int) -> NoReturn:
        """The csv module gave up (a cell over its size limit, a stray carriage return): the
        rest of the file cannot be split into rows, so it stops here with the line reached."""
        message = str(exc)
        if "field larger than field limit" in message:
            message = (
                f"a cell is longer than {csv.field_size_limit():,} characters"
                " (an unclosed quote swallowing the lines after it?)"
            )
        self.stop(
            self.codes.unsplittable, f"the CSV cannot be split into rows here: {message}", line=line
        )

    # --- XLSX -----------------------------------------------------------------------------

    def read_xlsx(self, stream: IO[bytes], stack: ExitStack) -> Table:
        from openpyxl import load_workbook

        # openpyxl needs a seekable file; a zip member or gzip stream is not one.
        source: IO[bytes] = stream if stream.seekable() else io.BytesIO(stream.read())
        try:
            with zipfile.ZipFile(source) as parts:
                too_large = zip_too_large(parts)
        except Exception as exc:
            self.stop(p.UNREADABLE_FILE, f"not a readable XLSX workbook: {exc}")
        if too_large is not None:
            self.stop(p.FILE_TOO_LARGE, too_large)
        source.seek(0)
        try:
            # data_only=False: a formula cell reads as its "=..." text, so it can be refused;
            # data_only=True would silently take whatever result the last program cached.
            book = load_workbook(source, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises a zoo of types for a broken workbook
            self.stop(p.UNREADABLE_FILE, f"not a readable XLSX workbook: {exc}")
        stack.callback(book.close)
        if not book.worksheets:
            self.stop(p.EMPTY_FILE, "the workbook has no sheet")
        sheet = book.worksheets[0]
        if self.where is not None:
            self.where = f"{self.where}[{sheet.title}]"
        numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
        for number, values in numbered:
            if not blank(values):
                header = [cell_text(v) for v in values]
                columns = [normalise(h) for h in header]
                return Table(
                    self.where, columns, header, number, self._xlsx_rows(numbered, columns)
                )
        return Table(self.where, [], [], 1, iter(()))

    def _xlsx_rows(
        self, numbered: Iterator[tuple[int, tuple[Any, ...]]], columns: list[str]
    ) -> Iterator[Row]:
        width = len(columns)
        for number, values in numbered:
            formulas = [
                i
                for i, v in enumerate(values)
                if isinstance(v, str) and v.startswith("=") and v[1:]
            ]
            if formulas:
                for i in formulas:
                    self.error(
                        p.FORMULA_CELL,
                        f"formula cells are not accepted ({str(values[i])[:80]}): paste the"
                        " values; the formula was not evaluated",
                        line=number,
                        field=(columns[i] or None) if i < width else None,
                        value=values[i],
                    )
                continue
            if blank(values):
                continue
            cells = [cell_text(v) for v in values]
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield number, cells

    # --- JSON -----------------------------------------------------------------------------

    def read_json(self, stream: IO[bytes]) -> Table:
        items = _JsonItems(io.TextIOWrapper(stream, encoding="utf-8-sig"), self)
        each = iter(items)
        columns: list[str] = []
        index: dict[str, int] = {}

        def rows() -> Iterator[Row]:
            for line, number, obj in each:
                if not isinstance(obj, dict):
                    self.error(
                        p.BAD_ROW, f"item {number} is not an object", line=line,
                        value=json.dumps(obj)[:100],
                    )  # fmt: skip
                    continue
                cells = [""] * len(columns)
                for key, value in obj.items():
                    name = normalise(key)
                    at = index.get(name)
                    if at is None:  # a key the objects before it lacked: a new column
                        at = index[name] = len(columns)
                        columns.append(name)
                        cells.append("")
                    cells[at] = cell_text(value)
                yield line, cells

        first = next(rows(), None)  # the header comes from the first object
        if first is None:
            return Table(self.where, [], [], items.line, iter(()))
        header = list(columns)

        def all_rows() -> Iterator[Row]:
            yield first
            yield from rows()

        return Table(self.where, columns, header, first[0], all_rows())


class _Lines:
    """Decodes a byte stream line by line, remembering which lines were not UTF-8."""

    def __init__(self, stream: IO[bytes], reader: _Reader) -> None:
        self._stream = stream
        self._reader = reader
        self.number = 0
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
                self._reader.error(
                    self._reader.codes.bad_encoding,
                    f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1};"
                    " save the file as UTF-8",
                    line=self.number,
                    value=raw.decode("utf-8", errors="surrogateescape").rstrip("\r\n"),
                )
                # Keep the line count right for the rows after it; the row is dropped.
                yield raw.decode("utf-8", errors="replace")


_SPACE = re.compile(r"[ \t\r\n]*")
_CHUNK = 1 << 16


class _JsonItems:
    """The items of a JSON array as (line, number, value), decoded one at a time."""

    def __init__(self, text: IO[str], reader: _Reader) -> None:
        self._text = text
        self._reader = reader
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._eof = False
        self.line = 1

    def _more(self) -> bool:
        if self._eof:
            return False
        try:
            chunk = self._text.read(_CHUNK)
        except UnicodeDecodeError as exc:
            near = self.line + self._buf.count("\n", self._pos)
            self._reader.stop(
                self._reader.codes.bad_encoding,
                f"not UTF-8 near line {near}: {exc.reason}",
                line=self.line,
            )
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def _skip_space(self) -> None:
        while True:
            m = _SPACE.match(self._buf, self._pos)
            assert m is not None
            self.line += self._buf.count("\n", self._pos, m.end())
            self._pos = m.end()
            if self._pos < len(self._buf) or not self._more():
                return

    def _syntax(self, message: str) -> NoReturn:
        self._reader.stop(p.UNREADABLE_FILE, f"invalid JSON: {message}", line=self.line)

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        self._skip_space()
        if self._pos >= len(self._buf):
            return
        if self._buf[self._pos] != "[":
            self._syntax("expected an array of objects ([{...}, ...])")
        self._pos += 1
        number = 0
        while True:
            self._skip_space()
            if self._pos >= len(self._buf):
                self._syntax("the array is not closed")
            if self._buf[self._pos] == "]":
                return
            if number:
                if self._buf[self._pos] != ",":
                    self._syntax("expected ',' between objects")
                self._pos += 1
                self._skip_space()
            start_line = self.line
            value, end = self._decode(number + 1)
            self.line += self._buf.count("\n", self._pos, end)
            self._pos = end
            number += 1
            yield start_line, number, value

    def _decode(self, number: int) -> tuple[Any, int]:
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
                return value, end
            except json.JSONDecodeError as exc:
                # Maybe the item runs past the chunk: read more and retry.
                if not self._more():
                    self._syntax(exc.msg)
            except RecursionError:
                self._syntax(f"item {number} is nested too deeply")
            except ValueError as exc:  # e.g. an integer of thousands of digits
                self._syntax(f"item {number}: {exc}")
