"""Cell parsers shared by the registry and proposal imports; each reports into ``Issues``."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from typing import TypeVar

from shared.registry.issues import Issues

E = TypeVar("E", bound=StrEnum)

# [0-9] and \Z, not \d and $: \d takes other scripts' digits, $ a trailing newline.
VILLAGE_CODE = re.compile(r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}\Z")
REGION_CODE = re.compile(r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?\Z")
LIST_SEPARATORS = re.compile(r"[;|]")

_TRUE = {"1", "true", "yes", "y", "ya", "x"}
_FALSE = {"0", "false", "no", "n", "tidak", ""}


def key(value: str) -> str:
    """Lower case, spaces and dashes to underscores: how enum cells are compared."""
    return re.sub(r"[\s\-]+", "_", value.strip().lower())


def text(
    issues: Issues, line: int, field: str, value: str, *, max_length: int, required: bool = False
) -> str | None:
    """A text cell: None when empty; control characters and over-long values are errors."""
    value = " ".join(value.split())  # tabs, newlines and runs of spaces become one space
    if not value:
        if required:
            issues.error(line, field, "required", f"{field} is required")
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        issues.error(line, field, "control_characters", f"{field} contains control characters")
        return None
    if len(value) > max_length:
        issues.error(
            line, field, "too_long", f"{field} has {len(value)} characters; at most {max_length}"
        )
        return None
    return value


def day(issues: Issues, line: int, field: str, value: str) -> date | None:
    """An ISO date (YYYY-MM-DD); None when empty."""
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10] if "T" in value else value)
    except ValueError:
        issues.error(line, field, "bad_date", f"{value!r} is not a date like 2025-07-21")
        return None


def flag(issues: Issues, line: int, field: str, value: str) -> bool:
    normalised = value.strip().lower()
    if normalised in _TRUE:
        return True
    if normalised not in _FALSE:
        issues.error(line, field, "bad_boolean", f"{value!r} is not true/false (or yes/no, 1/0)")
    return False


def count(issues: Issues, line: int, field: str, value: str) -> int | None:
    value = value.strip().replace("_", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):  # "²".isdigit() is True; int() refuses it
        issues.error(line, field, "bad_number", f"{value!r} is not a whole number of zero or more")
        return None
    return int(value)


def choice(
    issues: Issues,
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
            issues.error(line, field, "required", f"{field} is required")
        return None
    for member in enum_cls:
        if normalised == key(member.value):
            return member
    if aliases and normalised in aliases:
        return aliases[normalised]
    allowed = ", ".join(m.value for m in enum_cls)
    issues.error(line, field, f"bad_{field}", f"{value!r} is not one of: {allowed}")
    return None


def codes(issues: Issues, line: int, field: str, value: str, *, required: bool) -> list[str]:
    """A list of village codes separated by ``;`` or ``|``; shape and repeats are checked."""
    items = [c.strip() for c in LIST_SEPARATORS.split(value) if c.strip()]
    if not items and required:
        issues.error(line, field, "required", f"{field} needs at least one village code")
    seen: set[str] = set()
    good: list[str] = []
    for code in items:
        if not VILLAGE_CODE.match(code):
            issues.error(
                line,
                field,
                "bad_village_code",
                f"{code!r} is not a village code like 64.72.05.1003",
            )
        elif code in seen:
            issues.error(line, field, "repeated_village", f"{code} is listed twice in the row")
        else:
            seen.add(code)
            good.append(code)
    return good
