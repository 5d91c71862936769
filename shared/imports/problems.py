"""Problems found in an import's input: errors (nothing is written) and warnings (reported).

Every problem names where it is (file, line or sheet row), the field, the value and a stable
``code`` that scripts match on. All problems are counted; only the first ``limit`` of each
kind are kept, so a file with 80,000 bad rows does not produce an 80,000-entry job row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack

from shared.safe_text import MESSAGE_CHARS, NAME_CHARS, VALUE_CHARS, storable

# Codes of problems with a file as a whole, reported by the readers (shared.imports.tabular).
BAD_ENCODING = "bad_encoding"
MISSING_COLUMNS = "missing_columns"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"
UNKNOWN_FORMAT = "unknown_format"
MISSING_FILE = "missing_file"
BAD_ROW = "bad_row"
FILE_TOO_LARGE = "file_too_large"
FORMULA_CELL = "formula_cell"
UNKNOWN_COLUMN = "unknown_column"  # a warning: the column is ignored

# The keys of a problem in a job row and in reports.
PROBLEM_KEYS = ("file", "line", "field", "code", "message", "value")


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    file: str | None = None
    line: int | None = None  # file line (CSV), sheet row (XLSX) or item's line (JSON)
    field: str | None = None
    value: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "code": self.code,
            "message": self.message,
        }


class Where(TypedDict, total=False):
    """Where a problem is: the file, the line (or sheet row), the field, the value found."""

    file: str | None
    line: int | None
    field: str | None
    value: object


@dataclass(slots=True)
class Report:
    """Collects problems: every one counted, the first ``limit`` of each kind kept."""

    limit: int
    error_count: int = 0
    warning_count: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, code: str, message: str, **where: Unpack[Where]) -> None:
        self.error_count += 1
        self._keep(self.errors, code, message, where)

    def warning(self, code: str, message: str, **where: Unpack[Where]) -> None:
        self.warning_count += 1
        self._keep(self.warnings, code, message, where)

    def _keep(self, kept: list[Problem], code: str, message: str, where: Where) -> None:
        if len(kept) < self.limit:
            # What a problem echoes comes from the file: made storable on any database.
            value = where.get("value")
            kept.append(
                Problem(
                    code,
                    storable(message, MESSAGE_CHARS),
                    _name(where.get("file")),
                    where.get("line"),
                    _name(where.get("field")),
                    None if value is None else storable(value, VALUE_CHARS),
                )
            )

    def failed(self) -> bool:
        return self.error_count > 0

    def summary(self) -> str:
        """The errors in a sentence, naming the first."""
        first = self.errors[0] if self.errors else None
        where = f" (first: line {first.line}, {first.field}: {first.message})" if first else ""
        return f"{self.error_count} error(s) in the file; nothing was written{where}"

    def job_fields(self) -> dict[str, Any]:
        """The job columns that carry the problems."""
        return {
            "error_count": self.error_count,
            "errors": [p.as_dict() for p in self.errors],
            "warning_count": self.warning_count,
            "warnings": [p.as_dict() for p in self.warnings],
        }


class InvalidFile(Exception):
    """The file as a whole cannot be read (encoding, no header, missing columns); its
    problems are in ``report``."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.summary())
        self.report = report


def _name(value: str | None) -> str | None:
    return None if value is None else storable(value, NAME_CHARS)
