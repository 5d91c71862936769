"""Request rates as the settings write them: ``60/minute``, ``1000/hour``, ``10/30s``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour|d|day)s?\s*$")
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` requests per ``period`` seconds."""

    count: int
    period: float

    @property
    def interval(self) -> float:
        return self.period / self.count

    def __str__(self) -> str:
        return f"{self.count}/{self.period:g}s"


def parse_rate(text: str) -> Rate:
    """``"60/minute"``, ``"1000/hour"``, ``"10/30s"``, ``"5/sec"``."""
    match = _RATE_RE.match(text.lower())
    if match is None:
        raise ValueError(f"rate {text!r} is not like 60/minute (units: second, minute, hour, day)")
    count = int(match.group(1))
    multiple = int(match.group(2) or 1)
    if count <= 0 or multiple <= 0:
        raise ValueError(f"rate {text!r} must allow at least one request per period")
    return Rate(count=count, period=float(multiple * _UNIT_SECONDS[match.group(3)]))
