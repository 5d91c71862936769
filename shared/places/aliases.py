"""Known aliases: names a source uses that no spelling rule turns into the official one.

``data/places/aliases.csv`` (``level,alias,official,note``) says, for instance, that SIMKOPDES's
``KAB. OKU TIMUR`` is Kabupaten Ogan Komering Ulu Timur and ``DKI JAKARTA`` is Daerah Khusus
Ibukota Jakarta. ``official`` is a code (``16.08``) or an official name that is unique at its
level. Operations may add rows; the table is checked against the gazetteer when loaded, and
every problem is reported with its line.

An alias says which place a name means, wherever the row files it: under the wrong parent it
makes the row misfiled, like an exact name would.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from shared.models import RegionLevel
from shared.places.gazetteer import OFFICIAL_CODE, Gazetteer, Place
from shared.places.names import DATA_DIR, parse_name
from shared.places.tables import PlaceTableError, TableProblem, read_table

ALIASES_PATH = DATA_DIR / "aliases.csv"


class AliasTable:
    """Alias keys per level, each to the places it names."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[RegionLevel, str], list[Place]] = defaultdict(list)

    def add(self, level: RegionLevel, alias: str, place: Place) -> None:
        targets = self._by_key[level, parse_name(level, alias).key]
        if place not in targets:
            targets.append(place)

    def lookup(self, level: RegionLevel, key: str) -> list[Place]:
        return self._by_key.get((level, key), [])

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_key.values())


def load_aliases(
    gazetteer: Gazetteer, path: Path = ALIASES_PATH, *, skip_absent: bool = False
) -> AliasTable:
    """The alias table at ``path``, checked against ``gazetteer``. ``skip_absent``: leave
    out aliases of places the gazetteer does not hold (a database holding part of the
    country) instead of refusing the table; other problems are still reported."""
    table = AliasTable()
    problems: list[TableProblem] = []
    names = _NamesOnce(gazetteer)
    for line, row in read_table(path, ("level", "alias", "official")):
        try:
            level = RegionLevel(row["level"].lower())
        except ValueError:
            reason = "not one of province, regency, district, village"
            problems.append(TableProblem(path.name, line, "level", row["level"], reason))
            continue
        if not parse_name(level, row["alias"]).key:
            problems.append(TableProblem(path.name, line, "alias", row["alias"], "empty"))
            continue
        target = _target(level, row["official"], gazetteer, names)
        if isinstance(target, str) and skip_absent and target.startswith(_ABSENT):
            continue
        if isinstance(target, str):
            problems.append(TableProblem(path.name, line, "official", row["official"], target))
            continue
        table.add(level, row["alias"], target)
    if problems:
        raise PlaceTableError(problems)
    return table


# How _target's reasons begin when the place is not in the gazetteer at all.
_ABSENT = ("no ", "0 ")


class _NamesOnce:
    """Places by (level, key), built the first time an alias gives a name instead of a code."""

    def __init__(self, gazetteer: Gazetteer) -> None:
        self._gazetteer = gazetteer
        self._by_key: dict[tuple[RegionLevel, str], list[Place]] | None = None

    def get(self, level: RegionLevel, key: str) -> list[Place]:
        if self._by_key is None:
            self._by_key = defaultdict(list)
            for place in self._gazetteer.places.values():
                self._by_key[place.level, place.key].append(place)
        return self._by_key.get((level, key), [])


def _target(
    level: RegionLevel, official: str, gazetteer: Gazetteer, names: _NamesOnce
) -> Place | str:
    """The place ``official`` (a code or a name) means, or why there is none."""
    if OFFICIAL_CODE.match(official):
        place = gazetteer.get(official)
        if place is None or place.level is not level:
            return f"no {level} with this code in edition {gazetteer.edition}"
        return place
    named = parse_name(level, official)
    found = [p for p in names.get(level, named.key) if named.kind in (None, p.kind)]
    if len(found) != 1:
        return f"{len(found)} {level} places have this name; give the code instead"
    return found[0]
