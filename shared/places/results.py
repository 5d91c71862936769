"""What goes into a reconciliation and what comes out: plain slotted dataclasses.

A row names a place level by level from the province down (any prefix of the four levels),
each with the source's own id when it has one. Its result holds one decision per level the
matcher reached, each with a stable outcome code, the official code, the score, the
candidates considered and a reason a person can read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from shared.models import RegionLevel
from shared.places.gazetteer import LEVELS


class Outcome(StrEnum):
    """How one level of a row was decided. The values are stable: reports and files use them."""

    matched = "matched"  # the normalised name is that of exactly one place under the parent
    matched_alias = "matched_alias"  # a known alias (data/places/aliases.csv)
    matched_fuzzy = "matched_fuzzy"  # the closest name, within the policy's edits and score
    matched_crosswalk = "matched_crosswalk"  # the source id's code from a previous snapshot
    matched_override = "matched_override"  # operations' overrides file
    ambiguous = "ambiguous"  # several places fit equally well
    misfiled = "misfiled"  # not under the parent given, but under another one
    unknown = "unknown"  # nowhere

    @property
    def is_match(self) -> bool:
        return self in MATCHES


MATCHES = frozenset(
    {
        Outcome.matched,
        Outcome.matched_alias,
        Outcome.matched_fuzzy,
        Outcome.matched_crosswalk,
        Outcome.matched_override,
    }
)
# A row is as certain as its least certain level; this order says which that is.
_CERTAINTY = {
    Outcome.matched_fuzzy: 0,
    Outcome.matched_alias: 1,
    Outcome.matched_crosswalk: 2,
    Outcome.matched_override: 3,
    Outcome.matched: 4,
}


@dataclass(frozen=True, slots=True)
class PlaceRow:
    """One row to reconcile: names from the province down, with optional source ids.

    ``names[0]`` is the province, ``names[1]`` the regency and so on; a row may stop at any
    level. ``source_ids`` runs alongside (None where the source has no id). ``ref`` is how the
    caller refers to the row in reports (a line number, a registry id).
    """

    names: tuple[str, ...]
    source_ids: tuple[str | None, ...] = ()
    ref: str | int | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.names) <= len(LEVELS):
            raise ValueError(f"row {self.ref}: a row names 1 to 4 levels, got {len(self.names)}")
        for level, name in zip(LEVELS, self.names, strict=False):
            if not name.strip():
                raise ValueError(f"row {self.ref}: {level} name: empty")
        if len(self.source_ids) > len(self.names):
            raise ValueError(f"row {self.ref}: more source ids than names")

    @classmethod
    def of(
        cls,
        province: str,
        regency: str | None = None,
        district: str | None = None,
        village: str | None = None,
        *,
        province_id: str | None = None,
        regency_id: str | None = None,
        district_id: str | None = None,
        village_id: str | None = None,
        ref: str | int | None = None,
    ) -> PlaceRow:
        """A row from named levels, down to the last one given. A blank level above a given
        one, or an id without its name, is refused naming the row and level (nothing below a
        gap is dropped silently)."""
        names = [(n or "").strip() for n in (province, regency, district, village)]
        ids = [
            (i or "").strip() or None for i in (province_id, regency_id, district_id, village_id)
        ]
        depth = max((d + 1 for d in range(len(LEVELS)) if names[d] or ids[d]), default=0)
        for d in range(depth):
            if not names[d]:
                given = "name" if names[depth - 1] else "id"
                raise ValueError(
                    f"row {ref}: {LEVELS[d]} name: empty, while the {LEVELS[depth - 1]} {given}"
                    " is given"
                )
        return cls(tuple(names[:depth]), tuple(ids[:depth]), ref)

    @property
    def level(self) -> RegionLevel:
        """The deepest level the row names."""
        return LEVELS[len(self.names) - 1]

    def source_id(self, depth: int) -> str | None:
        return self.source_ids[depth] if depth < len(self.source_ids) else None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A place considered for a name, with its score (100 = same key) and its parent."""

    code: str
    name: str
    score: float
    parent_code: str | None = None
    parent_name: str | None = None


@dataclass(frozen=True, slots=True)
class LevelMatch:
    """The decision for one level of a row. The name and source id it was made for are the
    row's (``PlaceMatch.row``): one decision serves every row that spells a place alike."""

    level: RegionLevel
    outcome: Outcome
    code: str | None = None  # the official code, for matches only
    official_name: str | None = None
    score: float | None = None  # 100 for exact and alias matches, None for id-based ones
    candidates: tuple[Candidate, ...] = ()  # for ambiguous, misfiled and unknown
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """The result of one row: a decision for each level reached, top down. Matching stops at
    the first level that is not a match; the levels below it are not reached."""

    row: PlaceRow
    levels: tuple[LevelMatch, ...]
    outcome: Outcome = field(init=False)

    def __post_init__(self) -> None:
        last = self.levels[-1]
        if not last.outcome.is_match:
            outcome = last.outcome
        else:
            outcome = min((m.outcome for m in self.levels), key=_CERTAINTY.__getitem__)
        object.__setattr__(self, "outcome", outcome)

    @property
    def complete(self) -> bool:
        """Every level the row names was matched."""
        return len(self.levels) == len(self.row.names) and self.outcome.is_match

    @property
    def code(self) -> str | None:
        """The official code of the row's deepest level, when every level was matched."""
        return self.levels[-1].code if self.complete else None

    @property
    def decisive(self) -> LevelMatch:
        """The level that decided the row's outcome: the one that failed, else the deepest."""
        return self.levels[-1]

    @property
    def reason(self) -> str:
        return self.decisive.reason


@dataclass(slots=True)
class LevelFigures:
    """How one level fared: rows that name it, and what became of them."""

    level: RegionLevel
    rows: int = 0
    outcomes: Counter[Outcome] = field(default_factory=Counter)

    @property
    def matched(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome.is_match)

    @property
    def not_reached(self) -> int:
        """Rows that name this level but failed above it."""
        return self.rows - sum(self.outcomes.values())

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 1.0


@dataclass(slots=True)
class Summary:
    """Match rates per level and counts per outcome, over a whole reconciliation."""

    rows: int
    outcomes: Counter[Outcome]
    levels: dict[RegionLevel, LevelFigures]

    @property
    def matched(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome.is_match)

    @property
    def match_rate(self) -> float:
        return self.matched / self.rows if self.rows else 1.0

    def as_dict(self) -> dict[str, object]:
        """Plain data for a job's stored report or an API answer."""
        return {
            "rows": self.rows,
            "matched": self.matched,
            "match_rate": round(self.match_rate, 6),
            "outcomes": {o.value: self.outcomes.get(o, 0) for o in Outcome},
            "levels": {
                level.value: {
                    "rows": f.rows,
                    "matched": f.matched,
                    "match_rate": round(f.match_rate, 6),
                    "not_reached": f.not_reached,
                    "outcomes": {o.value: f.outcomes.get(o, 0) for o in Outcome},
                }
                for level, f in self.levels.items()
            },
        }


def summarise(matches: list[PlaceMatch]) -> Summary:
    outcomes: Counter[Outcome] = Counter()
    levels = {level: LevelFigures(level) for level in LEVELS}
    for match in matches:
        outcomes[match.outcome] += 1
        for level in LEVELS[: len(match.row.names)]:
            levels[level].rows += 1
        for decision in match.levels:
            levels[decision.level].outcomes[decision.outcome] += 1
    named = {level: f for level, f in levels.items() if f.rows}
    return Summary(len(matches), outcomes, named)
