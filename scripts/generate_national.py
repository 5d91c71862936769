"""Generate the national-scale registry file from an official-list folder.

    python -m scripts.generate_national --source DIR --out var/national.csv [--seed 2025]

Proposals go beside it (``national-proposals.csv`` in the same folder).

``kopdes demo national`` does the same from the villages in the database and imports it.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from shared.registry.datasets import (
    PROPOSAL_COLUMNS,
    REGISTRY_COLUMNS,
    national_proposals,
    national_registry,
    read_villages,
    write_csv,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=Path("var") / "national.csv")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args()
    started = time.perf_counter()
    villages = read_villages(args.source)
    n = write_csv(national_registry(villages, seed=args.seed), args.out, REGISTRY_COLUMNS)
    proposals = args.out.with_name("national-proposals.csv")
    m = write_csv(national_proposals(villages, seed=args.seed), proposals, PROPOSAL_COLUMNS)
    took = time.perf_counter() - started
    print(f"{n} cooperatives over {len(villages)} villages -> {args.out} in {took:.1f}s")
    print(f"{m} proposals -> {proposals}")


if __name__ == "__main__":
    main()
