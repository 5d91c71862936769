"""Problems found in an input: errors (nothing is written) and warnings (reported only).

Every problem names where it is (file, line or sheet row), the field, the value and a stable
``code`` that scripts can match on. All problems are counted; only the first ``limit`` of each
kind are kept, so a file with 80,000 bad rows does not produce an 80,000-entry job row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Stable error codes (scripts and the API's clients match on them).
BAD_CODE = "bad_code"
BAD_VILLAGE_DIGIT = "bad_village_digit"
MISSING_PARENT = "missing_parent"
DUPLICATE_CODE = "duplicate_code"
EMPTY_NAME = "empty_name"
CONTROL_CHARACTER = "control_character"
NAME_TOO_LONG = "name_too_long"
KIND_NAME_MISMATCH = "kind_name_mismatch"
KIND_MISMATCH = "kind_mismatch"
PARENT_MISMATCH = "parent_mismatch"
WRONG_LEVEL = "wrong_level"
BAD_ENCODING = "bad_encoding"
MISSING_COLUMNS = "missing_columns"
EMPTY_FILE = "empty_file"
UNREADABLE_FILE = "unreadable_file"
UNKNOWN_FORMAT = "unknown_format"
MISSING_FILE = "missing_file"
BAD_ROW = "bad_row"
BAD_MAPPING = "bad_mapping"
FILE_TOO_LARGE = "file_too_large"
FORMULA_CELL = "formula_cell"
EDITION_EXISTS = "edition_exists"

# Warning codes.
WHITESPACE = "whitespace"
DUPLICATE_ROW = "duplicate_row"
RETIRED_WITH_COOPERATIVE = "retired_with_cooperative"


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    message: str
    file: str | None = None
    line: int | None = None
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


@dataclass(slots=True)
class Report:
    """Collects problems: every one counted, the first ``limit`` of each kind kept."""

    limit: int
    error_count: int = 0
    warning_count: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.error_count += 1
        if len(self.errors) < self.limit:
            self.errors.append(Problem(code, message, file, line, field, _shown(value)))

    def warning(
        self,
        code: str,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.limit:
            self.warnings.append(Problem(code, message, file, line, field, _shown(value)))

    def failed(self) -> bool:
        return self.error_count > 0

    def job_fields(self) -> dict[str, Any]:
        """The job columns that carry the problems."""
        return {
            "error_count": self.error_count,
            "errors": [p.as_dict() for p in self.errors],
            "warning_count": self.warning_count,
            "warnings": [p.as_dict() for p in self.warnings],
        }


def _shown(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    # A value is evidence, not payload: keep job rows small.
    return text if len(text) <= 200 else text[:197] + "..."
