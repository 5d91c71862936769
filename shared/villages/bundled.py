"""The 2025 edition of the official list, shipped in the package (see ``data/wilayah``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shared.audit import SYSTEM, Actor
from shared.db import Database
from shared.models import ImportJob
from shared.villages.service import EditionInfo, create_bundled_job, run_now

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "wilayah"
BUNDLED_PATH = DATA_DIR / "wilayah-2025.zip"
BUNDLED_EDITION = EditionInfo(
    label="2025",
    decree="Kepmendagri 300.2.2-2138/2025",
    published_on=date(2025, 4, 25),
)
# What the bundled file holds (SOURCE.md beside it says where it comes from).
BUNDLED_COUNTS = {"province": 38, "regency": 514, "district": 7_285, "village": 83_762}


def import_bundled_now(
    db: Database, *, actor: Actor = SYSTEM, full_compare: bool = False
) -> ImportJob:
    """Import the bundled edition in this process; returns the finished job."""
    job = create_bundled_job(db, edition=BUNDLED_EDITION, actor=actor, full_compare=full_compare)
    return run_now(db, job.id)
