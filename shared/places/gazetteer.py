"""The official regions a reconciliation matches against, indexed for it.

A gazetteer holds one edition of the official list: every place with its code, name, level,
kind and parent, plus two indexes the matcher asks all the time: the children of each parent
by key (exact and fuzzy matching inside the parent already found) and the places of a level by
the wider **scope** a misfiled name is looked for in (a regency anywhere in the country, a
district in its province, a village in its regency). Building it from the national list
(91,599 places) takes about a second, most of it normalising names.

Two sources: the per-level files of an edition (``load_edition_archive``, e.g. the bundled
``data/wilayah/wilayah-2025.zip``, so reconciliation is testable without a database) and the
database's ``regions`` table for the current edition (``shared.places.repository``).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from shared.models import RegionKind, RegionLevel
from shared.places.names import parse_name

BUNDLED_EDITION_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "wilayah" / "wilayah-2025.zip"
)
BUNDLED_EDITION_LABEL = "2025"

LEVELS: tuple[RegionLevel, ...] = (
    RegionLevel.province,
    RegionLevel.regency,
    RegionLevel.district,
    RegionLevel.village,
)
DEPTH = {level: i for i, level in enumerate(LEVELS)}
# Length of the code of each level: 64, 64.72, 64.72.05, 64.72.05.1003.
CODE_LENGTH = {
    RegionLevel.province: 2,
    RegionLevel.regency: 5,
    RegionLevel.district: 8,
    RegionLevel.village: 13,
}
# An official code of any level.
OFFICIAL_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# The per-level files of an edition and their parent-code column.
_EDITION_FILES = {
    RegionLevel.province: ("provinces.csv", None),
    RegionLevel.regency: ("regencies.csv", "province_code"),
    RegionLevel.district: ("districts.csv", "regency_code"),
    RegionLevel.village: ("villages.csv", "district_code"),
}


class Place(NamedTuple):  # a tuple: cheap to build 91,599 times
    """One official region, with the key its name is matched by."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None
    kind: RegionKind | None
    key: str


def scope_of(level: RegionLevel, parent_code: str | None) -> str:
    """Where a name that is not under its parent is looked for: a regency in the whole
    country (""), a district in its parent's province, a village in its parent's regency."""
    if parent_code is None or level in (RegionLevel.province, RegionLevel.regency):
        return ""
    return parent_code[: CODE_LENGTH[LEVELS[DEPTH[level] - 2]]]


@dataclass(slots=True)
class NameIndex:
    """Places by key, plus the keys as a list for rapidfuzz (``places[i]`` has ``keys[i]``)."""

    by_key: dict[str, list[Place]] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)

    def add(self, place: Place) -> None:
        self.by_key.setdefault(place.key, []).append(place)
        self.keys.append(place.key)
        self.places.append(place)


_EMPTY = NameIndex()


class Gazetteer:
    """One edition of the official list, indexed for matching names."""

    def __init__(self, places: Iterable[Place], *, edition: str | None = None) -> None:
        self.edition = edition
        self.places: dict[str, Place] = {}
        self._children: dict[tuple[RegionLevel, str], NameIndex] = defaultdict(NameIndex)
        self._scopes: dict[tuple[RegionLevel, str], NameIndex] = defaultdict(NameIndex)
        for place in places:
            self.places[place.code] = place
            self._children[place.level, place.parent_code or ""].add(place)
            self._scopes[place.level, scope_of(place.level, place.parent_code)].add(place)

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[tuple[str, str, RegionLevel, str | None, RegionKind | None]],
        *,
        edition: str | None = None,
    ) -> Gazetteer:
        """From ``(code, name, level, parent_code, kind)`` rows, parents in any order."""
        return cls(
            (
                Place(code, name, level, parent, kind, parse_name(level, name).key)
                for code, name, level, parent, kind in rows
            ),
            edition=edition,
        )

    def __len__(self) -> int:
        return len(self.places)

    def get(self, code: str) -> Place | None:
        return self.places.get(code)

    def children(self, level: RegionLevel, parent_code: str | None) -> NameIndex:
        """The places of ``level`` directly under ``parent_code`` (provinces: None)."""
        return self._children.get((level, parent_code or ""), _EMPTY)

    def scope(self, level: RegionLevel, parent_code: str | None) -> NameIndex:
        """The places of ``level`` a misfiled name under ``parent_code`` may belong to."""
        return self._scopes.get((level, scope_of(level, parent_code)), _EMPTY)

    def at_level(self, level: RegionLevel) -> Iterator[Place]:
        return (p for p in self.places.values() if p.level is level)

    def parent(self, place: Place) -> Place | None:
        return self.places.get(place.parent_code) if place.parent_code else None

    def label(self, code: str | None) -> str:
        """``Kabupaten Tebo (15.09)``, for reasons people read."""
        place = self.places.get(code) if code else None
        return f"{place.name} ({place.code})" if place else f"({code})"


def load_edition_archive(
    path: Path = BUNDLED_EDITION_PATH, *, edition: str | None = None
) -> Gazetteer:
    """A gazetteer from the four per-level CSV files of an edition, as a ``.zip`` or a folder
    (the form the bundled edition and ``tests/data/wilayah`` have)."""
    label = (
        edition
        if edition is not None
        else (BUNDLED_EDITION_LABEL if path == BUNDLED_EDITION_PATH else path.stem)
    )
    return Gazetteer.from_rows(_edition_rows(path), edition=label)


def _edition_rows(
    path: Path,
) -> Iterator[tuple[str, str, RegionLevel, str | None, RegionKind | None]]:
    kinds = {kind.value: kind for kind in RegionKind}
    for level, (member, parent_column) in _EDITION_FILES.items():
        rows = _read_member(path, member)
        header = next(rows)
        code, name = header.index("code"), header.index("name")
        parent = header.index(parent_column) if parent_column else None
        kind = header.index("kind") if "kind" in header else None
        for row in rows:
            yield (
                row[code],
                row[name],
                level,
                row[parent] if parent is not None else None,
                kinds[row[kind]] if kind is not None else None,
            )


def _read_member(path: Path, member: str) -> Iterator[list[str]]:
    if path.is_dir():
        with (path / member).open(encoding="utf-8-sig", newline="") as handle:
            yield from csv.reader(handle)
        return
    with zipfile.ZipFile(path) as archive, archive.open(member) as raw:
        yield from csv.reader(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))
