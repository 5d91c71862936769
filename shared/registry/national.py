"""The national demo registry, real where the registry is public: SIMKOPDES's count of
cooperatives per regency (``shared/data/registry/simkopdes_regencies_2026-08.csv``,
August 2026), placed on that regency's villages.

What is real: per regency, the number of cooperatives and how many of them have an NPWP and
an NIB, as the regency summary reconciled them (rows the reconciler could not place are
reported by the summary import, never invented here). Kalimantan Timur (64) is the Kaltim
reference set exactly (``shared/data/kaltim/cooperatives.csv``, 1,037 cooperatives, whose
counts per regency are the snapshot's), so ``kopdes demo kaltim`` and ``kopdes demo
national`` give the same rows there, in either order.

What is generated, deterministically per regency and seed: which villages get a
cooperative (a second one in a village only where the regency counts more cooperatives than
it has villages, a third only beyond twice as many), names, stages and their dates, legal
numbers, bank accounts, outlets and member counts.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.registry.datasets import (
    KALTIM_REGISTRY,
    STAGES,
    Village,
    _draw,
    _fast_stage_dates,
    add_identifiers,
    cooperative_name,
    registry_id_for,
)

SNAPSHOT = (
    Path(__file__).resolve().parent.parent / "data" / "registry" / "simkopdes_regencies_2026-08.csv"
)
SNAPSHOT_SOURCE = "simkopdes"
KALTIM = "64"
_AS_OF = "2026-08-05"


@dataclass(slots=True)
class NationalPlan:
    """What the demo generates, and what it could not place."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    # Regencies of the summary with no village in the database: (code, cooperatives).
    without_villages: list[tuple[str, int]] = field(default_factory=list)
    per_province: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def kaltim_seed_rows(path: Path = KALTIM_REGISTRY) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def national_plan(
    regions: Mapping[str, Mapping[str, int]],
    villages: Iterable[Village],
    *,
    seed: int = 2025,
    kaltim_rows: list[dict[str, Any]] | None = None,
) -> NationalPlan:
    """Registry rows for the regencies' counts (``regions``: the summary import's regions,
    regency code -> cooperatives, npwp_count, nib_count), on ``villages``."""
    by_regency: dict[str, list[Village]] = defaultdict(list)
    for village in villages:
        by_regency[village.code[:5]].append(village)
    plan = NationalPlan()
    seq = 0
    for regency in sorted(regions):
        counts = regions[regency]
        wanted = int(counts["cooperatives"])
        if regency.startswith(KALTIM + "."):
            continue  # the Kaltim reference set, below
        listed = sorted(by_regency.get(regency, ()), key=lambda v: v.code)
        if not listed:
            plan.without_villages.append((regency, wanted))
            continue
        for row in _regency_rows(regency, listed, counts, seed, seq):
            plan.rows.append(row)
        seq += wanted
        plan.per_province[regency[:2]] += wanted
    if any(code.startswith(KALTIM + ".") for code in regions):
        kaltim = kaltim_rows if kaltim_rows is not None else kaltim_seed_rows()
        plan.rows.extend(kaltim)
        plan.per_province[KALTIM] += len(kaltim)
    return plan


def _regency_rows(
    regency: str, villages: list[Village], counts: Mapping[str, int], seed: int, seq0: int
) -> Iterator[dict[str, Any]]:
    rng = random.Random(f"{seed}:{regency}")  # noqa: S311  (synthetic data, seeded on purpose)
    wanted = int(counts["cooperatives"])
    n = len(villages)
    # Every village once while there are villages left, then again from a shuffled order.
    order = list(range(n))
    chosen: list[tuple[Village, int]] = []
    rounds = 0
    while len(chosen) < wanted:
        rng.shuffle(order)
        take = sorted(order[: wanted - len(chosen)])
        rounds += 1
        chosen.extend((villages[i], rounds) for i in take)
    npwp = min(int(counts.get("npwp_count", 0)), wanted)
    nib = min(int(counts.get("nib_count", 0)), wanted)
    # Which cooperatives have the identifiers: NIB mostly where there is an NPWP.
    ranks = list(range(wanted))
    rng.shuffle(ranks)
    for index, (village, claim) in enumerate(chosen):
        rank = ranks[index]
        has_npwp, has_nib = rank < npwp, rank < nib
        seq = seq0 + index + 1
        yield _row(village, claim, seq, has_npwp, has_nib, rng)


def _row(
    village: Village, claim: int, seq: int, has_npwp: bool, has_nib: bool, rng: random.Random
) -> dict[str, Any]:
    """One cooperative: every registered one is a legal entity (the snapshot counts legal
    entities); its stage follows from the identifiers it has."""
    if has_npwp and has_nib:
        roll = rng.random()
        stage_rank = 5 if roll < 0.5 else 6 if roll < 0.8 else 7
    elif has_npwp or has_nib:
        stage_rank = 4
    else:
        stage_rank = 3
    dates = _fast_stage_dates(stage_rank, 120 + _draw(rng, 0, 60), rng)
    name = cooperative_name(village)
    registry_id = registry_id_for(village.code)
    if claim > 1:
        name, registry_id = f"{name} {claim}", f"{registry_id}-{claim}"
    row: dict[str, Any] = {
        "registry_id": registry_id,
        "name": name,
        "village_codes": village.code,
        "scheme": ("new", "new", "new", "development", "revitalisation")[_draw(rng, 0, 4)],
        "stage": STAGES[stage_rank],
        **dates,
        "is_mockup": "false",
        "member_count": _draw(rng, 8, 36),
        "member_count_as_of": _AS_OF,
    }
    add_identifiers(row, rng, seq, dates, stage_rank, legal=True, npwp=has_npwp, nib=has_nib)
    return row
