"""Guard rails on editions: an edition that would retire more than a share of the active
villages, or that is older than the current one, is said loudly in a dry run and refused by an
import unless it is explicitly allowed (``--allow-mass-retirement``, ``allowMassRetirement``).

One wrong file (the four per-level files of a single province form a valid edition) would
otherwise retire most of the country and become current.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from shared.models import Edition, RegionLevel
from shared.villages import problems as p
from shared.villages.diff import Current, Diff
from shared.villages.edition import EditionInfo

ALLOW_HINT = (
    "if that is intended, import again with --allow-mass-retirement"
    " (allowMassRetirement: true in GraphQL)"
)


@dataclass(frozen=True, slots=True)
class Concern:
    code: str
    message: str


def concerns(
    diff: Diff,
    current: dict[str, Current],
    info: EditionInfo,
    current_edition: Edition | None,
    *,
    threshold_percent: float,
    recoded: Collection[int] = (),
    restoring: bool = False,
) -> list[Concern]:
    """What should stop an operator before this edition becomes current. Villages re-coded
    by the mapping (``recoded``: their old ids) are not lost, so they do not count as
    retired here."""
    found: list[Concern] = []
    active = sum(1 for c in current.values() if c.level is RegionLevel.village and not c.retired)
    retiring = diff.counts[RegionLevel.village.value]["retired"] - sum(
        1 for region_id, _name in diff.retired if region_id in recoded
    )
    if active and retiring * 100 > threshold_percent * active:
        found.append(
            Concern(
                p.MASS_RETIREMENT,
                f"this edition would retire {retiring:,} of the {active:,} active villages"
                f" ({100 * retiring / active:.1f} %, over the {threshold_percent:g} % threshold);"
                " is the file the whole country?",
            )
        )
    if not restoring and current_edition is not None and _older(info, current_edition):
        found.append(
            Concern(
                p.OLDER_EDITION,
                f"edition {info.label}{_dated(info.published_on)} is older than the current"
                f" edition {current_edition.label}{_dated(current_edition.published_on)}",
            )
        )
    return found


def _older(info: EditionInfo, current: Edition) -> bool:
    if info.published_on is not None and current.published_on is not None:
        return info.published_on < current.published_on
    new, old = info.label.strip(), current.label.strip()
    return new.isdigit() and old.isdigit() and int(new) < int(old)


def _dated(day: object) -> str:
    return f" ({day})" if day else ""
