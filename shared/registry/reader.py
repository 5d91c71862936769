"""Tabular readers for registry and proposal files: CSV (UTF-8, comma/semicolon/tab) or XLSX.

Rows stream one at a time as ``(line, {column: text})``; column names are normalised (lower
case, spaces and dashes to underscores) so that "Registry ID" and "registry_id" are the same.
Cells come back as stripped text; XLSX dates become ISO dates and whole numbers lose the
``.0`` a spreadsheet gives them.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from shared.registry.issues import InvalidFile, Issues

Row = dict[str, str]


def normalise_header(name: object) -> str:
    text = str(name or "").strip().lstrip("\ufeff").lower()
    return re.sub(r"[\s\-]+", "_", text)


@dataclass(slots=True)
class Table:
    """A file opened for reading: its normalised header and a row iterator."""

    columns: list[str]
    rows: Iterator[tuple[int, Row]]


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _open_csv(path: Path, issues: Issues) -> Table:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issues.error(
            None,
            None,
            "unreadable_encoding",
            f"the file is not UTF-8 (byte {exc.start}): save it as UTF-8 CSV",
        )
        raise InvalidFile(issues) from exc
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    except csv.Error as exc:
        _csv_error(issues, reader.line_num or 1, exc)
        raise InvalidFile(issues) from exc
    columns = [normalise_header(h) for h in header]

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            yield from _csv_rows()
        except csv.Error as exc:
            # The rest cannot be split into rows; the error fails the import.
            _csv_error(issues, reader.line_num, exc)

    def _csv_rows() -> Iterator[tuple[int, Row]]:
        for values in reader:
            if not any(v.strip() for v in values):
                continue  # blank line
            row = {
                col: (values[i].strip() if i < len(values) else "")
                for i, col in enumerate(columns)
                if col
            }
            if len(values) > len(columns):
                row["__extra__"] = ",".join(values[len(columns) :])
            yield reader.line_num, row

    return Table(columns=columns, rows=rows())


def _csv_error(issues: Issues, line: int, exc: csv.Error) -> None:
    message = str(exc)
    if "field larger than field limit" in message:
        message = (
            f"a cell is longer than {csv.field_size_limit():,} characters"
            " (an unclosed quote swallowing the lines after it?)"
        )
    issues.error(line, None, "unreadable_csv", f"the CSV cannot be split into rows here: {message}")


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and len(value) > 1 and value.startswith("=")


def _open_xlsx(path: Path, issues: Issues) -> Table:
    from openpyxl import load_workbook

    from shared.villages.readers import zip_too_large

    try:
        with zipfile.ZipFile(path) as parts:
            too_large = zip_too_large(parts)
        # data_only=False: formula cells read as their "=..." text and are refused below,
        # never evaluated nor replaced by whatever result another program cached.
        workbook = None if too_large else load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException, ...
        issues.error(None, None, "unreadable_file", f"not a readable XLSX workbook: {exc}")
        raise InvalidFile(issues) from exc
    if workbook is None:
        issues.error(None, None, "file_too_large", str(too_large))
        raise InvalidFile(issues)
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = next(iterator)
    except StopIteration:
        header = ()
    columns = [normalise_header(h) for h in header]

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            for number, values in enumerate(iterator, start=2):
                formulas = [i for i, v in enumerate(values) if _is_formula(v)]
                if formulas:
                    for i in formulas:
                        field = columns[i] if i < len(columns) and columns[i] else None
                        issues.error(
                            number,
                            field,
                            "formula_cell",
                            f"formula cells are not accepted ({str(values[i])[:80]}):"
                            " paste the values; the formula was not evaluated",
                        )
                    continue
                texts = [_cell_text(v) for v in values]
                if not any(texts):
                    continue
                yield (
                    number,
                    {
                        col: (texts[i] if i < len(texts) else "")
                        for i, col in enumerate(columns)
                        if col
                    },
                )
        finally:
            workbook.close()

    return Table(columns=columns, rows=rows())


def open_table(path: Path, issues: Issues, *, required: tuple[str, ...]) -> Table:
    """Open a CSV or XLSX file; raise :class:`InvalidFile` when its header is unusable."""
    if not path.is_file():
        issues.error(None, None, "file_not_found", f"{path} does not exist")
        raise InvalidFile(issues)
    with path.open("rb") as fh:
        magic = fh.read(4)
    table = _open_xlsx(path, issues) if magic == b"PK\x03\x04" else _open_csv(path, issues)
    if not any(table.columns):
        issues.error(1, None, "empty_file", "the file is empty: no header row")
        raise InvalidFile(issues)
    seen: set[str] = set()
    for col in table.columns:
        if col and col in seen:
            issues.error(1, col, "duplicate_column", f"column {col!r} appears twice")
        seen.add(col)
    for col in required:
        if col not in seen:
            issues.error(1, col, "missing_column", f"required column {col!r} is missing")
    if issues:
        raise InvalidFile(issues)
    return table
