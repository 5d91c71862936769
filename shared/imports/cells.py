"""Cell parsers of the record imports (registry, proposals): each takes a row's text and
reports what is wrong with it, naming the line and the column."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

from shared.imports.problems import Report
from shared.models import VILLAGE_CODE

E = TypeVar("E", bound=StrEnum)

LIST_SEPARATORS = re.compile(r"[;|]")

_TRUE = {"1", "true", "yes", "y", "ya", "x"}
_FALSE = {"0", "false", "no", "n", "tidak", ""}


def key(value: str) -> str:
    """Lower case, spaces and dashes to underscores: how enum cells are compared."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def text(
    report: Report, line: int, field: str, value: str, *, max_length: int, required: bool = False
) -> str | None:
    """A text cell: None when empty; control characters and over-long values are errors."""
    value = " ".join(value.split())  # tabs, newlines and runs of spaces become one space
    if not value:
        if required:
            report.error("required", f"{field} is required", line=line, field=field)
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        message = f"{field} contains control characters"
        report.error("control_characters", message, line=line, field=field)
        return None
    if len(value) > max_length:
        message = f"{field} has {len(value)} characters; at most {max_length}"
        report.error("too_long", message, line=line, field=field)
        return None
    return value


def day(report: Report, line: int, field: str, value: str) -> date | None:
    """An ISO date (YYYY-MM-DD); None when empty."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10] if "T" in value else value)
    except ValueError:
        report.error("bad_date", f"{value!r} is not a date like 2025-07-21", line=line, field=field)
        return None


def flag(report: Report, line: int, field: str, value: str) -> bool:
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised not in _FALSE:
        message = f"{value!r} is not true/false (or yes/no, 1/0)"
        report.error("bad_boolean", message, line=line, field=field)
    return False


def count(report: Report, line: int, field: str, value: str) -> int | None:
    value = value.strip().replace("_", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):  # "²".isdigit() is True; int() refuses it
        message = f"{value!r} is not a whole number of zero or more"
        report.error("bad_number", message, line=line, field=field)
        return None
    return int(value)


def choice(
    report: Report,
    line: int,
    field: str,
    value: str,
    enum_cls: type[E],
    aliases: dict[str, E] | None = None,
    *,
    required: bool = True,
) -> E | None:
    normalised = key(value)
    if not normalised:
        if required:
            report.error("required", f"{field} is required", line=line, field=field)
        return None
    for member in enum_cls:
        if normalised == key(member.value):
            return member
    if aliases and normalised in aliases:
        return aliases[normalised]
    allowed = ", ".join(m.value for m in enum_cls)
    report.error(f"bad_{field}", f"{value!r} is not one of: {allowed}", line=line, field=field)
    return None


def codes(report: Report, line: int, field: str, value: str, *, required: bool) -> list[str]:
    """A list of village codes separated by ``;`` or ``|``; shape and repeats are checked."""
    items = [c.strip() for c in LIST_SEPARATORS.split(value) if c.strip()]
    if not items and required:
        report.error("required", f"{field} needs at least one village code", line=line, field=field)
    seen: set[str] = set()
    good: list[str] = []
    for code in items:
        if not VILLAGE_CODE.fullmatch(code):
            message = f"{code!r} is not a village code like 64.72.05.1003"
            report.error("bad_village_code", message, line=line, field=field)
        elif code in seen:
            message = f"{code} is listed twice in the row"
            report.error("repeated_village", message, line=line, field=field)
        else:
            seen.add(code)
            good.append(code)
    return good


@dataclass(frozen=True, slots=True)
class Cells:
    """One record's cells read by column name, each parser reporting at the record's line."""

    report: Report
    line: int
    record: Mapping[str, str]

    def text(self, field: str, max_length: int, *, required: bool = False) -> str | None:
        value = self.record.get(field, "")
        return text(self.report, self.line, field, value, max_length=max_length, required=required)

    def day(self, field: str) -> date | None:
        return day(self.report, self.line, field, self.record.get(field, ""))

    def flag(self, field: str) -> bool:
        return flag(self.report, self.line, field, self.record.get(field, ""))

    def count(self, field: str) -> int | None:
        return count(self.report, self.line, field, self.record.get(field, ""))

    def choice(
        self, field: str, enum_cls: type[E], aliases: dict[str, E] | None = None
    ) -> E | None:
        return choice(self.report, self.line, field, self.record.get(field, ""), enum_cls, aliases)

    def codes(self, field: str, *, required: bool) -> list[str]:
        return codes(self.report, self.line, field, self.record.get(field, ""), required=required)


__all__ = [
    "LIST_SEPARATORS",
    "VILLAGE_CODE",
    "choice",
    "codes",
    "count",
    "day",
    "flag",
    "key",
    "text",
]
