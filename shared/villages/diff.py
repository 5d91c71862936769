"""What an edition changes, per level: added, renamed, retired, reinstated, unchanged.

Compared against every region in the database, retired ones included, so that a code that
comes back is reinstated rather than added again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy.orm import Session

from shared.models import RegionLevel
from shared.villages.validation import Edition, ParsedRegion

LEVELS = tuple(RegionLevel)
CHANGE_KINDS = ("added", "renamed", "retired", "reinstated", "unchanged")
_LEVEL_OF = {level.value: level for level in RegionLevel}


class Current(NamedTuple):
    """A region as the database holds it."""

    id: int
    name: str
    level: RegionLevel
    retired: bool


@dataclass(slots=True)
class Diff:
    """What an edition changes, per level, and the rows to write."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {lvl.value: dict.fromkeys(CHANGE_KINDS, 0) for lvl in LEVELS}
    )
    added: list[ParsedRegion] = field(default_factory=list)
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # id, old, new
    retired: list[tuple[int, str]] = field(default_factory=list)  # id, name
    reinstated: list[tuple[int, str, str]] = field(default_factory=list)  # id, old, new

    code_of: dict[int, str] = field(default_factory=dict)  # ids of changed regions

    def sample(self, limit: int) -> list[dict[str, str | None]]:
        """The first ``limit`` changes of each kind, for the job to show (a dry run writes
        nothing else). Per kind, so that an edition retiring a whole province still shows
        its renames."""
        entries: list[dict[str, str | None]] = [
            {"change": "added", "code": region.code, "old_name": None, "new_name": region.name}
            for region in self.added[:limit]
        ]
        for kind, rows in (("renamed", self.renamed), ("reinstated", self.reinstated)):
            entries += [
                {"change": kind, "code": self.code_of[i], "old_name": old, "new_name": new}
                for i, old, new in rows[:limit]
            ]
        entries += [
            {"change": "retired", "code": self.code_of[i], "old_name": name, "new_name": None}
            for i, name in self.retired[:limit]
        ]
        return entries

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.renamed) + len(self.retired) + len(self.reinstated)

    def summary(self) -> dict[str, dict[str, int]]:
        return {level: dict(counts) for level, counts in self.counts.items()}

    def totals(self) -> dict[str, int]:
        return {kind: sum(level[kind] for level in self.counts.values()) for kind in CHANGE_KINDS}


def load_current(session: Session) -> dict[str, Current]:
    """Every region in the database by code, retired ones included."""
    # The driver's cursor directly: SQLAlchemy's row objects cost ~3 µs each, 91,599 times.
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT code, id, name, level, retired_edition_id FROM regions")
        rows = cursor.fetchall()
    finally:
        cursor.close()
    level_of = _LEVEL_OF
    return {
        code: Current(id, name, level_of[level], retired is not None)
        for code, id, name, level, retired in rows
    }


def compare(parsed: Edition, current: dict[str, Current]) -> Diff:
    """Per level: added, renamed, retired, reinstated, unchanged."""
    diff = Diff()
    counts = diff.counts
    for code, region in parsed.regions.items():
        level = region.level.value
        before = current.get(code)
        if before is None:
            diff.added.append(region)
            counts[level]["added"] += 1
        elif before.retired:
            diff.code_of[before.id] = code
            diff.reinstated.append((before.id, before.name, region.name))
            counts[level]["reinstated"] += 1
        elif before.name != region.name:
            diff.code_of[before.id] = code
            diff.renamed.append((before.id, before.name, region.name))
            counts[level]["renamed"] += 1
        else:
            counts[level]["unchanged"] += 1
    for code, before in current.items():
        if not before.retired and code not in parsed.regions:
            diff.code_of[before.id] = code
            diff.retired.append((before.id, before.name))
            counts[before.level.value]["retired"] += 1
    return diff


def unchanged(parsed: Edition) -> Diff:
    """The diff of an edition identical to the database: everything unchanged."""
    diff = Diff()
    for level in LEVELS:
        diff.counts[level.value]["unchanged"] = parsed.count(level)
    return diff


def describe(totals: dict[str, int], recoded: int) -> str:
    """The changes in a sentence: "13 renamed, 1 retired, 1140 unchanged"."""
    parts = [f"{totals[k]} {k}" for k in CHANGE_KINDS if k != "unchanged" and totals[k]]
    if recoded:
        parts.append(f"{recoded} village(s) re-coded with their cooperatives and proposals")
    if not parts:
        return f"no change ({totals['unchanged']} regions unchanged)"
    return ", ".join(parts) + f", {totals['unchanged']} unchanged"
