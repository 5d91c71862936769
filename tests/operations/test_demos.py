"""`kopdes demo kaltim` and `kopdes demo national` compose in either order: the national set
holds the Kaltim reference set row for row."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from shared.models import Cooperative, Proposal
from shared.registry.datasets import KALTIM_PROPOSALS, KALTIM_REGISTRY

KOPDES = str(Path(sys.executable).with_name("kopdes"))


def ids_in(path: Path, column: str) -> set[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def demo(name: str, folder: Path) -> None:
    env = {**os.environ, "KOPDES_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [KOPDES, "demo", name, "--no-recompute"],
        cwd=folder,  # the national files are written under ./var
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, f"kopdes demo {name}:\n{done.stdout}\n{done.stderr}"


@pytest.mark.slow
@pytest.mark.parametrize("order", [("kaltim", "national"), ("national", "kaltim")])
def test_the_demos_compose_in_either_order(db: Any, tmp_path: Path, order: tuple[str, str]) -> None:
    for name in order:
        demo(name, tmp_path)
    national = tmp_path / "var" / "national-2025.csv"
    national_proposals = tmp_path / "var" / "national-proposals-2025.csv"
    kaltim = ids_in(KALTIM_REGISTRY, "registry_id")
    generated = ids_in(national, "registry_id")
    assert kaltim <= generated
    with db.sync_session() as session:
        stored = set(session.scalars(select(Cooperative.registry_id)))
        in_kaltim = set(
            session.scalars(
                select(Cooperative.registry_id).where(Cooperative.registry_id.like("KMP-64%"))
            )
        )
        proposals = set(session.scalars(select(Proposal.external_id)))
        count = session.execute(select(func.count()).select_from(Cooperative)).scalar_one()
    # Exactly the national file, whichever came first; in Kaltim exactly the reference set.
    assert stored == generated
    assert count == len(generated)
    assert in_kaltim == kaltim
    # The rest of the country's proposals generated, Kaltim's the reference set's.
    assert proposals == ids_in(national_proposals, "proposal_id") | ids_in(
        KALTIM_PROPOSALS, "proposal_id"
    )
