"""What a village import changes, typed: counts per level and the sample of changed regions.

A village job stores its diff as ``{level: {added, renamed, ...}}`` and the
first changes of each kind under ``counts.sample`` (see ``shared.villages.service.Diff``).
These types read them, so clients need not know the JSON's shape.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry

from shared.models import RegionLevel, level_of_code

# The largest sample a job keeps per kind of change is KOPDES_MAX_REPORTED_ERRORS (100 by
# default); a larger page would only repeat the whole list.
SAMPLE_PAGE = 100
_COUNTED = ("added", "renamed", "retired", "reinstated", "unchanged")


@strawberry.enum(name="RegionChangeKind", description="How an edition changes a region.")
class RegionChangeKind(Enum):
    added = "added"
    renamed = "renamed"
    retired = "retired"
    reinstated = "reinstated"


@strawberry.type(description="What an edition changes at one level of the official list.")
class LevelChanges:
    level: RegionLevel = strawberry.field(description="province, regency, district or village.")
    added: int = strawberry.field(description="Codes new in this edition.")
    renamed: int = strawberry.field(description="Same code, another name.")
    retired: int = strawberry.field(description="Codes this edition no longer has (kept, flagged).")
    reinstated: int = strawberry.field(description="Retired codes this edition has again.")
    unchanged: int = strawberry.field(description="Same code and name.")


@strawberry.type(description="One region an edition changes (from the job's sample).")
class RegionChangeSample:
    change: RegionChangeKind = strawberry.field(description="What happens to it.")
    code: str = strawberry.field(description="Its official code.")
    level: RegionLevel | None = strawberry.field(description="Its level, from the code.")
    old_name: str | None = strawberry.field(description="The name before; null when added.")
    new_name: str | None = strawberry.field(description="The name after; null when retired.")


def level_changes(diff: dict[str, Any] | None) -> list[LevelChanges]:
    """The stored diff as one entry per level, province first; empty without a diff."""
    if not diff:
        return []
    entries = []
    for level in RegionLevel:
        counts = diff.get(level.value) or {}
        entries.append(
            LevelChanges(
                level=level,
                **{kind: int(counts.get(kind, 0)) for kind in _COUNTED},
            )
        )
    return entries


def change_sample(
    counts: dict[str, Any],
    change: RegionChangeKind | None,
    level: RegionLevel | None,
    first: int,
) -> list[RegionChangeSample]:
    """The kept sample of changed regions, filtered, at most ``first`` of them."""
    found: list[RegionChangeSample] = []
    limit = max(0, min(first, SAMPLE_PAGE * len(RegionChangeKind)))
    for entry in counts.get("sample") or []:
        if len(found) >= limit:
            break
        kind = entry.get("change")
        code = str(entry.get("code") or "")
        if kind not in RegionChangeKind.__members__:
            continue
        region_level = level_of_code(code)
        if (change is not None and kind != change.value) or (
            level is not None and region_level != level
        ):
            continue
        found.append(
            RegionChangeSample(
                change=RegionChangeKind(kind),
                code=code,
                level=region_level,
                old_name=entry.get("old_name"),
                new_name=entry.get("new_name"),
            )
        )
    return found


__all__ = ["LevelChanges", "RegionChangeKind", "RegionChangeSample", "change_sample"]
