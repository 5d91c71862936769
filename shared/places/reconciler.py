"""The place reconciler: rows of names (and source ids) in, official codes out.

A row is decided level by level from the province down, each level inside the parent found
above it; the first level that is not a match ends the row. Per level, in order:

1. an **override** (operations' ``source_id,code`` file) for the row's deepest level that has
   one fixes that level and, through its code, every level above it, whatever the row's names
   and parents say;
2. the **crosswalk** (the source id's code from an earlier snapshot), if that code is still in
   the edition: under the parent found it matches; under another parent the row is misfiled;
3. the **name** (``shared.places.matching``).

Decisions by name are remembered per (level, parent, normalised name): 83,000 village rows
share 38 provinces, 514 regencies and 7,285 districts, so the upper levels are decided once
each. A reconciler is meant for one job: its memory is not shared between threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from shared.models import RegionKind, RegionLevel
from shared.places.aliases import AliasTable
from shared.places.crosswalk import Crosswalk, SourceKey
from shared.places.gazetteer import LEVELS, Gazetteer, Place
from shared.places.matching import LevelMatcher, MatchPolicy
from shared.places.names import ParsedName, parse_name
from shared.places.results import (
    Candidate,
    LevelMatch,
    Outcome,
    PlaceMatch,
    PlaceRow,
    Summary,
    summarise,
)

# Child decisions sure enough to decide an ambiguous parent.
_SURE = frozenset({Outcome.matched, Outcome.matched_alias, Outcome.matched_crosswalk})


@dataclass(slots=True)
class Reconciliation:
    matches: list[PlaceMatch]
    summary: Summary


class Reconciler:
    """Reconciles rows against one gazetteer, with the aliases, crosswalk and overrides given.

    ``overrides`` maps (level, source id) to a code, as :func:`read_overrides` returns it.
    """

    def __init__(
        self,
        gazetteer: Gazetteer,
        *,
        aliases: AliasTable | None = None,
        crosswalk: Crosswalk | None = None,
        overrides: Mapping[SourceKey, str] | None = None,
        policy: MatchPolicy | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.crosswalk = crosswalk if crosswalk is not None else Crosswalk()
        self.overrides = dict(overrides or {})
        self.policy = policy or MatchPolicy()
        self._matcher = LevelMatcher(gazetteer, aliases or AliasTable(), self.policy)
        # Decisions by name depend on the parsed name only: one per (level, parent, kind, key).
        self._parsed: dict[tuple[RegionLevel, str], ParsedName] = {}
        self._decisions: dict[
            tuple[RegionLevel, str | None, RegionKind | None, str], LevelMatch
        ] = {}

    def reconcile_all(self, rows: Iterable[PlaceRow]) -> Reconciliation:
        matches = [self.reconcile(row) for row in rows]
        return Reconciliation(matches, summarise(matches))

    def reconcile(self, row: PlaceRow) -> PlaceMatch:
        levels: list[LevelMatch] = []
        parent: Place | None = None
        stop = len(row.names)
        override = self._deepest_override(row) if self.overrides else None
        if override is not None:
            depth, source_id, code = override
            place = self.gazetteer.get(code)
            if place is not None and place.level is LEVELS[depth]:
                levels, parent = self._overridden(row, depth, source_id, place), place
            else:
                stop = depth  # names decide the levels above; the override's level fails
        for depth in range(len(levels), stop):
            decision = self._decide(LEVELS[depth], row.names[depth], row.source_id(depth), parent)
            if decision.outcome is Outcome.ambiguous and depth + 1 < len(row.names):
                decision = self._by_child(row, depth, decision, parent)
            levels.append(decision)
            if not decision.outcome.is_match:
                return PlaceMatch(row, tuple(levels))
            parent = self.gazetteer.get(decision.code or "")
        if override is not None and stop < len(row.names):
            depth, source_id, code = override
            reason = (
                f"the override gives {LEVELS[depth]} id {source_id} the code {code}, which is"
                f" not a {LEVELS[depth]} of edition {self.gazetteer.edition}"
            )
            levels.append(LevelMatch(LEVELS[depth], Outcome.unknown, reason=reason))
        return PlaceMatch(row, tuple(levels))

    def _by_child(
        self, row: PlaceRow, depth: int, ambiguous: LevelMatch, parent: Place | None
    ) -> LevelMatch:
        """An ambiguous level decided by the level below: of two regencies named Bekasi, the
        one that has the row's district. Only candidates under the row's parent take part,
        only an exact, alias or crosswalk match of the child counts, and only one candidate
        may have it."""
        level, child = LEVELS[depth], LEVELS[depth + 1]
        parent_code = parent.code if parent else None
        fitting = []
        for candidate in ambiguous.candidates:
            place = self.gazetteer.get(candidate.code)
            if place is None or place.parent_code != parent_code:
                continue
            below = self._decide(child, row.names[depth + 1], row.source_id(depth + 1), place)
            if below.outcome in _SURE:
                fitting.append((candidate, below))
        if len(fitting) != 1:
            return ambiguous
        chosen, below = fitting[0]
        codes = ", ".join(c.code for c in ambiguous.candidates)
        reason = (
            f"{len(ambiguous.candidates)} places fit ({codes}); only"
            f" {self.gazetteer.label(chosen.code)} has the {child} {below.official_name}"
        )
        outcome = Outcome.matched if chosen.score == 100.0 else Outcome.matched_fuzzy
        return LevelMatch(level, outcome, chosen.code, chosen.name, chosen.score, reason=reason)

    def _deepest_override(self, row: PlaceRow) -> tuple[int, str, str] | None:
        """(depth, source id, code) of the deepest level of the row with an override."""
        for depth in reversed(range(len(row.names))):
            source_id = row.source_id(depth)
            if source_id is not None:
                code = self.overrides.get((LEVELS[depth], source_id))
                if code is not None:
                    return depth, source_id, code
        return None

    def _overridden(
        self, row: PlaceRow, depth: int, source_id: str, place: Place
    ) -> list[LevelMatch]:
        """The levels an override decides: its own, and every level above through its code."""
        chain = [place]
        while (up := self.gazetteer.parent(chain[-1])) is not None:
            chain.append(up)
        chain.reverse()
        level = LEVELS[depth]
        return [
            LevelMatch(
                LEVELS[d],
                Outcome.matched_override,
                chain[d].code,
                chain[d].name,
                reason=(
                    f"override: {level} id {source_id} is {place.code}"
                    if d == depth
                    else f"implied by the override of {level} id {source_id}"
                ),
            )
            for d in range(depth + 1)
        ]

    def _decide(
        self, level: RegionLevel, name: str, source_id: str | None, parent: Place | None
    ) -> LevelMatch:
        stale = None
        if source_id is not None:
            code = self.crosswalk.code(level, source_id)
            if code is not None:
                place = self.gazetteer.get(code)
                if place is not None and place.level is level:
                    return self._by_crosswalk(source_id, place, parent)
                stale = f"; the crosswalk's code {code} for id {source_id} is not in this edition"
        parsed = self._parsed.get((level, name))
        if parsed is None:
            parsed = self._parsed[level, name] = parse_name(level, name)
        key = (level, parent.code if parent else None, parsed.kind, parsed.key)
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = self._matcher.by_name(level, parsed, parent)
        return decision if stale is None else replace(decision, reason=decision.reason + stale)

    def _by_crosswalk(self, source_id: str, place: Place, parent: Place | None) -> LevelMatch:
        label = self.gazetteer.label(place.code)
        if place.parent_code == (parent.code if parent else None):
            reason = f"source id {source_id} is {label} (crosswalk)"
            return LevelMatch(
                place.level, Outcome.matched_crosswalk, place.code, place.name, reason=reason
            )
        home = self.gazetteer.parent(place)
        reason = (
            f"source id {source_id} is {label} (crosswalk), which is in"
            f" {self.gazetteer.label(place.parent_code)}, not in"
            f" {self.gazetteer.label(parent.code if parent else None)}"
        )
        candidate = Candidate(
            place.code, place.name, 100.0, place.parent_code, home.name if home else None
        )
        return LevelMatch(place.level, Outcome.misfiled, candidates=(candidate,), reason=reason)
