"""Problems found in an import file, each naming line, field, code and reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: ``line`` is the file line (CSV) or sheet row (XLSX), 1 = the header."""

    line: int | None
    field: str | None
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "code": self.code, "message": self.message}


class Issues:
    """Errors and warnings of one import: all are counted, the first ``keep`` of each kept."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.error_count = 0
        self.warning_count = 0

    def error(self, line: int | None, field: str | None, code: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < self.keep:
            self.errors.append(Issue(line, field, code, message))

    def warn(self, line: int | None, field: str | None, code: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < self.keep:
            self.warnings.append(Issue(line, field, code, message))

    def __bool__(self) -> bool:
        return self.error_count > 0

    def summary(self) -> str:
        first = self.errors[0] if self.errors else None
        where = f" (first: line {first.line}, {first.field}: {first.message})" if first else ""
        return f"{self.error_count} error(s) in the file; nothing was written{where}"


class InvalidFile(Exception):
    """The file as a whole cannot be read (encoding, no header, missing columns, empty)."""

    def __init__(self, issues: Issues) -> None:
        super().__init__(issues.summary())
        self.issues = issues
