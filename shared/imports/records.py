"""Record files: a header naming columns, then one record per row (the registry and proposal
imports). The header is checked as a whole (required columns present, none twice, unknown
ones warned about) before any row is; rows come as ``(line, {column: text})`` with every
named column present (empty text when the cell is).

The problem codes here predate the shared reader and scripts match on them, so they are kept:
``file_not_found``, ``unreadable_encoding``, ``unreadable_csv``, ``empty_file``,
``duplicate_column``, ``missing_column``, ``unknown_column`` (a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from shared.imports.files import first_bad_utf8
from shared.imports.problems import InvalidFile, Report
from shared.imports.tabular import Codes, Format, Table, read_table, sniff_format

T = TypeVar("T")
R = TypeVar("R")
Record = dict[str, str]
EXTRA = "__extra__"  # the key of a record's cells beyond the header, when it has any
CODES = Codes(bad_encoding="unreadable_encoding", unsplittable="unreadable_csv")


@dataclass(slots=True)
class UpsertPlan(Generic[R]):
    """What importing a record file would change: records are upserted by their key."""

    rows: list[R]
    created: list[R] = field(default_factory=list)
    updated: list[Any] = field(default_factory=list)
    unchanged: int = 0
    existing_ids: dict[str, int] = field(default_factory=dict)  # key -> id of stored records

    @property
    def changes(self) -> int:
        return len(self.created) + len(self.updated)

    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
        }


@dataclass(slots=True)
class Records:
    columns: list[str]
    rows: Iterator[tuple[int, Record]]


@contextmanager
def open_records(
    path: Path, report: Report, *, required: tuple[str, ...], known: frozenset[str]
) -> Iterator[Records]:
    """Open a record file (CSV, XLSX or JSON); raise InvalidFile when it cannot be read as a
    whole. Iterate the rows inside the ``with`` block."""
    if not path.is_file():
        report.error("file_not_found", f"{path} does not exist")
        raise InvalidFile(report)
    fmt = sniff_format(path)
    if fmt is Format.csv:
        bad = first_bad_utf8(path)
        if bad is not None:
            message = f"the file is not UTF-8 (byte {bad}): save it as UTF-8 CSV"
            report.error("unreadable_encoding", message)
            raise InvalidFile(report)
    with path.open("rb") as stream, read_table(stream, fmt, None, report, CODES) as table:
        if table is None:
            raise InvalidFile(report)
        columns = _checked_header(table, report, required)
        for column in columns:
            if column and column not in known:
                message = f"column {column!r} is not used; ignored"
                report.warning("unknown_column", message, line=table.line, field=column)
        yield Records(columns, _records(table, columns))


def _checked_header(table: Table, report: Report, required: tuple[str, ...]) -> list[str]:
    if not any(table.columns):
        report.error("empty_file", "the file is empty: no header row", line=table.line or 1)
        raise InvalidFile(report)
    columns = list(table.columns)  # a JSON table's grows with later objects' keys
    seen: set[str] = set()
    for column in columns:
        if column and column in seen:
            message = f"column {column!r} appears twice"
            report.error("duplicate_column", message, line=table.line, field=column)
        seen.add(column)
    for column in required:
        if column not in seen:
            message = f"required column {column!r} is missing"
            report.error("missing_column", message, line=table.line, field=column)
    if report.failed():
        raise InvalidFile(report)
    return columns


def _records(table: Table, columns: list[str]) -> Iterator[tuple[int, Record]]:
    width = len(columns)
    for line, cells in table.rows:
        record = {col: cells[i].strip() for i, col in enumerate(columns) if col}
        if len(cells) > width:
            record[EXTRA] = ",".join(cells[width:])
        yield line, record


def read_records(
    path: Path,
    report: Report,
    parse_row: Callable[[int, Record], T | None],
    *,
    required: tuple[str, ...],
    known: frozenset[str],
    on_rows: Callable[[int], None] | None = None,
) -> list[T]:
    """Every row of a record file that ``parse_row`` accepts (it reports the others); raise
    InvalidFile when the file cannot be read as a whole. ``on_rows`` hears the rows read so
    far every 5,000."""
    parsed: list[T] = []
    seen = 0
    with open_records(path, report, required=required, known=known) as records:
        for line, record in records.rows:
            seen += 1
            row = parse_row(line, record)
            if row is not None:
                parsed.append(row)
            if on_rows is not None and seen % 5000 == 0:
                on_rows(seen)
    if seen == 0:
        report.error("empty_file", "the file has a header but no rows", line=2)
    return parsed
