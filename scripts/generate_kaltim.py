"""Generate the Kaltim reference data set (shared/data/kaltim/) from the official list.

    python -m scripts.generate_kaltim [--source tests/data/wilayah/2025-64]

The source is a folder of the official list's per-level CSVs (villages.csv, regencies.csv) of
the 2025 edition; only province 64 is used. The output is deterministic: running it again
gives byte-identical files, which are committed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from shared.registry.datasets import (
    KALTIM_PROPOSALS,
    KALTIM_REGISTRY,
    PROPOSAL_COLUMNS,
    REGISTRY_COLUMNS,
    kaltim_proposals,
    kaltim_registry,
    read_regency_names,
    read_villages,
    write_csv,
)

DEFAULT_SOURCE = Path(__file__).resolve().parent.parent / "tests" / "data" / "wilayah" / "2025-64"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--registry", type=Path, default=KALTIM_REGISTRY)
    parser.add_argument("--proposals", type=Path, default=KALTIM_PROPOSALS)
    args = parser.parse_args()
    villages = read_villages(args.source, province="64")
    n = write_csv(kaltim_registry(villages), args.registry, REGISTRY_COLUMNS)
    p = write_csv(
        kaltim_proposals(read_regency_names(args.source)), args.proposals, PROPOSAL_COLUMNS
    )
    print(f"{n} cooperatives over {len(villages)} villages -> {args.registry}")
    print(f"{p} proposals -> {args.proposals}")


if __name__ == "__main__":
    main()
