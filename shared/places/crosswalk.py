"""Source ids to official codes: the crosswalk a reconciliation learns, and operations'
overrides.

A source that has its own ids (SIMKOPDES numbers its provinces and regencies) is reconciled
by name once; every id that matched is then kept with its code, so the next snapshot is
matched by id first and a name the source respells keeps its code. The crosswalk lives in a
:class:`CrosswalkStore`: a CSV file per source here (:class:`CsvCrosswalkStore`), a table
later, behind the same two methods.

Overrides (``source_id,code``, a CSV operations edit) win over everything: over the
crosswalk, over names, and over the parents the row gives. The code's length says its level,
so one file serves every level of a source whose ids repeat across levels.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from shared.models import RegionLevel, level_of_code
from shared.places.gazetteer import OFFICIAL_CODE
from shared.places.results import Outcome, PlaceMatch
from shared.places.tables import PlaceTableError, TableProblem, read_table

SourceKey = tuple[RegionLevel, str]
_SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CROSSWALK_COLUMNS = ("level", "source_id", "code", "name", "outcome")


@dataclass(frozen=True, slots=True)
class CrosswalkEntry:
    """A source id's code, with the name it had and how it was decided (for review)."""

    level: RegionLevel
    source_id: str
    code: str
    name: str = ""
    outcome: Outcome = Outcome.matched


@dataclass(slots=True)
class Learned:
    """What one reconciliation taught a crosswalk."""

    added: int = 0
    changed: list[tuple[CrosswalkEntry, CrosswalkEntry]] = field(default_factory=list)
    # Ids that matched different codes within the snapshot: not learned, for a person to decide.
    conflicts: dict[SourceKey, set[str]] = field(default_factory=dict)


class Crosswalk(Mapping[SourceKey, CrosswalkEntry]):
    """Source ids (per level) to their entries."""

    def __init__(self, entries: Iterable[CrosswalkEntry] = ()) -> None:
        self._entries: dict[SourceKey, CrosswalkEntry] = {}
        for entry in entries:
            self._entries[entry.level, entry.source_id] = entry

    def __getitem__(self, key: SourceKey) -> CrosswalkEntry:
        return self._entries[key]

    def __iter__(self) -> Iterator[SourceKey]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def code(self, level: RegionLevel, source_id: str) -> str | None:
        entry = self._entries.get((level, source_id))
        return entry.code if entry else None

    def learn(self, matches: Iterable[PlaceMatch]) -> Learned:
        """Keep the code of every source id a level was matched to. Misfiled, ambiguous and
        unknown levels teach nothing; an id matched to two codes is a conflict, not learned."""
        seen: dict[SourceKey, CrosswalkEntry] = {}
        learned = Learned()
        for match in matches:
            row = match.row
            for depth, decision in enumerate(match.levels):
                source_id = row.source_id(depth)
                if source_id is None or decision.code is None or not decision.outcome.is_match:
                    continue
                key = (decision.level, source_id)
                entry = CrosswalkEntry(
                    decision.level, source_id, decision.code, row.names[depth], decision.outcome
                )
                earlier = seen.setdefault(key, entry)
                if earlier.code != entry.code:
                    learned.conflicts.setdefault(key, {earlier.code}).add(entry.code)
        for key, entry in seen.items():
            if key in learned.conflicts:
                continue
            old = self._entries.get(key)
            if old is None:
                learned.added += 1
            elif old.code != entry.code:
                learned.changed.append((old, entry))
            elif entry.outcome is Outcome.matched_crosswalk:
                continue  # matched by this very entry: keep how it was first decided
            self._entries[key] = entry
        return learned


class CrosswalkStore(Protocol):
    """Where a source's crosswalk is kept between snapshots."""

    def read(self, source: str) -> Iterable[CrosswalkEntry]: ...

    def write(self, source: str, entries: Iterable[CrosswalkEntry]) -> None: ...


def load_crosswalk(store: CrosswalkStore, source: str) -> Crosswalk:
    return Crosswalk(store.read(_checked_source(source)))


def save_crosswalk(store: CrosswalkStore, source: str, crosswalk: Crosswalk) -> None:
    store.write(_checked_source(source), crosswalk.values())


def _checked_source(source: str) -> str:
    if not _SOURCE_NAME.match(source):
        raise ValueError(f"source name {source!r}: lower-case letters, digits, - and _ only")
    return source


class CsvCrosswalkStore:
    """One CSV per source in a folder (``<folder>/<source>.csv``), written atomically."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, source: str) -> Path:
        return self.folder / f"{source}.csv"

    def read(self, source: str) -> Iterator[CrosswalkEntry]:
        path = self.path(source)
        if not path.exists():
            return
        problems: list[TableProblem] = []
        entries: list[CrosswalkEntry] = []
        for line, row in read_table(path, CROSSWALK_COLUMNS):
            try:
                entry = CrosswalkEntry(
                    RegionLevel(row["level"]),
                    row["source_id"],
                    row["code"],
                    row["name"],
                    Outcome(row["outcome"]),
                )
            except ValueError as exc:
                problems.append(TableProblem(path.name, line, "level/outcome", str(row), str(exc)))
                continue
            if level_of_code(entry.code) is not entry.level or not OFFICIAL_CODE.match(entry.code):
                problems.append(
                    TableProblem(path.name, line, "code", entry.code, f"not a {entry.level} code")
                )
                continue
            entries.append(entry)
        if problems:
            raise PlaceTableError(problems)
        yield from entries

    def write(self, source: str, entries: Iterable[CrosswalkEntry]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(source)
        partial = path.with_suffix(".csv.partial")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CROSSWALK_COLUMNS)
            ordered = sorted(entries, key=lambda e: (e.level.value, e.source_id))
            for e in ordered:
                writer.writerow((e.level.value, e.source_id, e.code, e.name, e.outcome.value))
        partial.replace(path)


def read_overrides(path: Path) -> dict[SourceKey, str]:
    """Operations' overrides file: ``source_id,code`` rows; the code's length gives the level.
    Every problem is reported (line, field, reason); a file with any is refused whole."""
    overrides: dict[SourceKey, str] = {}
    lines: dict[SourceKey, int] = {}
    problems: list[TableProblem] = []
    for line, row in read_table(path, ("source_id", "code")):
        source_id, code = row["source_id"], row["code"]
        if not source_id:
            problems.append(TableProblem(path.name, line, "source_id", "", "empty"))
            continue
        level = level_of_code(code) if OFFICIAL_CODE.match(code) else None
        if level is None:
            reason = "not an official code (64, 64.72, 64.72.05 or 64.72.05.1003)"
            problems.append(TableProblem(path.name, line, "code", code, reason))
            continue
        key = (level, source_id)
        if key in overrides and overrides[key] != code:
            reason = f"line {lines[key]} gives this {level} id the code {overrides[key]}"
            problems.append(TableProblem(path.name, line, "code", code, reason))
            continue
        overrides[key], lines[key] = code, line
    if problems:
        raise PlaceTableError(problems)
    return overrides
