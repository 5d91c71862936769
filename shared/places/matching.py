"""Matching one name at one level, inside the parent already found.

In order, the first that decides wins:

1. **exact**: the name's key is that of one place under the parent. Regencies must also agree
   on their kind when the name states one (``KAB. BEKASI`` never lands on Kota Bekasi); for
   villages the stated kind (``DESA``/``KEL.``) only tells apart two villages of one name.
2. **alias**: the key is a known alias (``data/places/aliases.csv``) of a place under the
   parent.
3. **fuzzy**: the closest keys under the parent by optimal-string-alignment distance
   (rapidfuzz), at most ``max_edits`` edits away and scoring at least ``min_score``
   (100 x (1 - edits / length)), never across a number (``Sidomulyo II`` is not
   ``Sidomulyo III``) or a stated kind. A tie is ambiguous; so is a fuzzy match here when the
   name exists exactly under another parent (which one the source meant is a question).
4. **misfiled**: the name (exact, alias, else fuzzy) is under another parent in the wider
   scope (a regency anywhere, a district in its province, a village in its regency).
5. **unknown**: nowhere.

Why edits and not ``token_sort_ratio``/``WRatio``: place names differ from their official
spelling by a letter or two (``Sindung`` for ``Siduung``) or by spacing, which the key
already ignores; a new village is usually an old name plus a word (``Sukamaju Baru`` beside
``Sukamaju``), and ratio-based scorers rate that as close (80, and WRatio's partial matching
90+), while it is four edits away. A short name allows fewer edits than a long one through
``min_score``: with the defaults, one edit from five letters on, two from ten.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from shared.models import RegionKind, RegionLevel
from shared.places.aliases import AliasTable
from shared.places.gazetteer import Gazetteer, NameIndex, Place
from shared.places.names import ParsedName, numbers_in
from shared.places.results import Candidate, LevelMatch, Outcome


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How far a name may be from an official one and still match it."""

    min_score: float = 80.0  # 0-100; 100 x (1 - edits / longer key's length)
    max_edits: int = 2

    def __post_init__(self) -> None:
        if not 0 < self.min_score <= 100:
            raise ValueError("min_score must be in (0, 100]")
        if self.max_edits < 0:
            raise ValueError("max_edits must not be negative")


class LevelMatcher:
    """Decides one level of a row by its name (ids are the reconciler's business)."""

    def __init__(self, gazetteer: Gazetteer, aliases: AliasTable, policy: MatchPolicy) -> None:
        self.gazetteer = gazetteer
        self.aliases = aliases
        self.policy = policy

    def by_name(self, level: RegionLevel, name: ParsedName, parent: Place | None) -> LevelMatch:
        """The decision for a parsed name under ``parent`` (None for a province)."""
        if not name.key:
            return LevelMatch(level, Outcome.unknown, reason="the name has no letters or digits")
        index = self.gazetteer.children(level, parent.code if parent else None)
        return (
            self._exact(level, name, index, parent)
            or self._alias(level, name, parent)
            or self._close_or_elsewhere(level, name, index, parent)
        )

    def _exact(
        self, level: RegionLevel, name: ParsedName, index: NameIndex, parent: Place | None
    ) -> LevelMatch | None:
        found = [p for p in index.by_key.get(name.key, ()) if _fits(level, name.kind, p)]
        if len(found) == 1:
            return _match(Outcome.matched, found[0], 100.0, _kind_note(name, found[0]))
        if not found:
            return None
        if level is RegionLevel.village and name.kind is not None:
            of_kind = [p for p in found if p.kind is name.kind]
            if len(of_kind) == 1:
                reason = f"same name as {len(found)} villages; the only {name.kind} of them"
                return _match(Outcome.matched, of_kind[0], 100.0, reason)
        reason = (
            f"{len(found)} places of this name in {self._where(parent)}:"
            f" {', '.join(p.code for p in found)}; a source id or an override decides"
        )
        return self._undecided(level, Outcome.ambiguous, reason, [(p, 100.0) for p in found])

    def _alias(
        self, level: RegionLevel, name: ParsedName, parent: Place | None
    ) -> LevelMatch | None:
        parent_code = parent.code if parent else None
        here = [
            p
            for p in self.aliases.lookup(level, name.key)
            if p.parent_code == parent_code and _fits(level, name.kind, p)
        ]
        if len(here) == 1:
            return _match(Outcome.matched_alias, here[0], 100.0, f"a known alias of {here[0].name}")
        if here:
            reason = f"an alias of {len(here)} places in {self._where(parent)}"
            return self._undecided(level, Outcome.ambiguous, reason, [(p, 100.0) for p in here])
        return None

    def _close_or_elsewhere(
        self, level: RegionLevel, name: ParsedName, index: NameIndex, parent: Place | None
    ) -> LevelMatch:
        elsewhere = self._elsewhere(level, name, parent)
        close = self._closest(level, name, index)
        if close:
            best, score = close[0]
            tied = [hit for hit in close if hit[1] == score]
            if len(tied) > 1:
                reason = f"{len(tied)} names in {self._where(parent)} are as close (score {score})"
                return self._undecided(level, Outcome.ambiguous, reason, tied)
            if elsewhere:
                reason = (
                    f"close to {best.name} in {self._where(parent)} (score {score}), and exactly"
                    f" the name of {self._with_parents(elsewhere)}"
                )
                hits = [(best, score)] + [(p, 100.0) for p in elsewhere]
                return self._undecided(level, Outcome.ambiguous, reason, hits)
            reason = f"closest name in {self._where(parent)}: {best.name} (score {score})"
            return _match(Outcome.matched_fuzzy, best, score, reason)
        hits = [(p, 100.0) for p in elsewhere]
        if not hits and level is not RegionLevel.province:
            parent_code = parent.code if parent else None
            scope = self.gazetteer.scope(level, parent_code)
            near = [
                hit
                for hit in self._closest(level, name, scope)
                if hit[0].parent_code != parent_code
            ]
            hits = [hit for hit in near if hit[1] == near[0][1]]
        if hits:
            places = [p for p, _ in hits]
            reason = f"not in {self._where(parent)}; it is {self._with_parents(places)}"
            return self._undecided(level, Outcome.misfiled, reason, hits)
        other_kind = [p for p in index.by_key.get(name.key, ()) if p.kind is not name.kind]
        if other_kind:
            reason = (
                f"no {name.kind} of this name in {self._where(parent)}; there is"
                f" {self._with_parents(other_kind)}, a different place"
            )
            return self._undecided(level, Outcome.unknown, reason, [(p, 100.0) for p in other_kind])
        return LevelMatch(
            level,
            Outcome.unknown,
            reason=f"no {level} of this name in {self._where(parent)} nor near it",
        )

    def _elsewhere(self, level: RegionLevel, name: ParsedName, parent: Place | None) -> list[Place]:
        """Places of this exact name or alias under another parent in the wider scope."""
        if level is RegionLevel.province:
            return []
        parent_code = parent.code if parent else None
        scope = self.gazetteer.scope(level, parent_code).by_key.get(name.key, [])
        found = [*self.aliases.lookup(level, name.key), *scope]
        return [
            p
            for p in dict.fromkeys(found)
            if p.parent_code != parent_code and _fits(level, name.kind, p)
        ]

    def _closest(
        self, level: RegionLevel, name: ParsedName, index: NameIndex
    ) -> list[tuple[Place, float]]:
        """Places of ``index`` within the policy, best first."""
        if not index.keys:
            return []
        numbers = numbers_in(name.key)
        hits = process.extract(
            name.key,
            index.keys,
            scorer=OSA.distance,
            score_cutoff=self.policy.max_edits,
            limit=None,
        )
        found: list[tuple[Place, float]] = []
        for key, edits, i in hits:
            place = index.places[i]
            if not _fits(level, name.kind, place) or numbers_in(key) != numbers:
                continue
            score = round(100.0 * (1 - edits / max(len(key), len(name.key))), 1)
            if score >= self.policy.min_score:
                found.append((place, score))
        found.sort(key=lambda hit: -hit[1])
        return found

    def _undecided(
        self, level: RegionLevel, outcome: Outcome, reason: str, hits: list[tuple[Place, float]]
    ) -> LevelMatch:
        candidates = []
        for place, score in hits:
            parent = self.gazetteer.parent(place)
            candidates.append(
                Candidate(
                    place.code,
                    place.name,
                    score,
                    place.parent_code,
                    parent.name if parent else None,
                )
            )
        return LevelMatch(level, outcome, candidates=tuple(candidates), reason=reason)

    def _where(self, parent: Place | None) -> str:
        return self.gazetteer.label(parent.code) if parent else "the country"

    def _with_parents(self, places: list[Place]) -> str:
        """``Kabupaten Tebo (15.09) in Jambi (15)``, for up to five places."""
        shown = [
            f"{self.gazetteer.label(p.code)} in {self.gazetteer.label(p.parent_code)}"
            if p.parent_code
            else self.gazetteer.label(p.code)
            for p in places[:5]
        ]
        more = f" and {len(places) - 5} more" if len(places) > 5 else ""
        return "; ".join(shown) + more


def _match(outcome: Outcome, place: Place, score: float, reason: str) -> LevelMatch:
    return LevelMatch(place.level, outcome, place.code, place.name, score, reason=reason)


def _fits(level: RegionLevel, kind: RegionKind | None, place: Place) -> bool:
    """A stated kind binds regencies only: a kabupaten and a kota of one name are two places,
    while a registry's desa/kelurahan lags behind villages changing status."""
    return level is not RegionLevel.regency or kind is None or place.kind is kind


def _kind_note(parsed: ParsedName, place: Place) -> str:
    if parsed.kind is not None and place.kind is not None and parsed.kind is not place.kind:
        return f"same name; filed as {parsed.kind}, the official list has a {place.kind}"
    return "same name"
