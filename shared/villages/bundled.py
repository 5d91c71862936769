"""The 2025 edition of the official list, shipped in the package (see ``data/wilayah``)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from shared.villages.edition import EditionInfo

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "wilayah"
BUNDLED_PATH = DATA_DIR / "wilayah-2025.zip"
BUNDLED_EDITION = EditionInfo(
    label="2025",
    decree="Kepmendagri 300.2.2-2138/2025",
    published_on=date(2025, 4, 25),
)
# What the bundled file holds (SOURCE.md beside it says where it comes from).
BUNDLED_COUNTS = {"province": 38, "regency": 514, "district": 7_285, "village": 83_762}
