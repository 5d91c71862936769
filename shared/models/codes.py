"""Official region codes: ``64`` province, ``64.72`` regency, ``64.72.05`` district,
``64.72.05.1003`` village. A code tells its level by its length and its ancestors by its
prefixes; only the shape is checked here, not whether the region exists."""

from __future__ import annotations

import re

from shared.models.enums import RegionLevel

# Match with fullmatch. [0-9], not \d: \d also takes other scripts' digits ("٦٤"), which int()
# accepts too.
REGION_CODE = re.compile(r"[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{2}(?:\.[0-9]{4})?)?)?")
VILLAGE_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}")

LEVEL_BY_CODE_LENGTH = {
    2: RegionLevel.province,
    5: RegionLevel.regency,
    8: RegionLevel.district,
    13: RegionLevel.village,
}


def level_of_code(code: str) -> RegionLevel | None:
    """The level a code of that length names (its shape is not checked here)."""
    return LEVEL_BY_CODE_LENGTH.get(len(code))


def ancestor_codes(code: str) -> tuple[str, str | None, str | None]:
    """The province, regency and district codes of a region (its own among them, at its
    level; None below it): what ``regions`` and ``proposals`` store beside a region."""
    return code[:2], code[:5] if len(code) >= 5 else None, code[:8] if len(code) >= 8 else None


def codes_above(code: str) -> list[str]:
    """The codes of the regions above this one, province first."""
    return [c for c in ancestor_codes(code) if c is not None and c != code]
