"""Every example of docs/import-formats.md imports: each accepted layout of the official list
and of the registry, as the document shows it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.models import Cooperative, CooperativeVillage, JobStatus, Region
from shared.registry.flow import FileFormat
from shared.registry.service import import_now as import_registry
from shared.villages.service import EditionInfo
from shared.villages.service import import_now as import_villages

DOCS = Path(__file__).resolve().parents[2] / "docs"
EXAMPLES = DOCS / "examples" / "import"
KALTIM_2025 = Path(__file__).resolve().parents[1] / "data" / "wilayah" / "2025-64"
LAYOUTS = [
    "wilayah.csv",
    "wilayah-kode-nama.csv",
    "wilayah.tsv",
    "wilayah.json",
    "per-level",
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_of_the_official_list_imports(db: Any, layout: str) -> None:
    job = import_villages(db, [EXAMPLES / layout], edition=EditionInfo(label="example"))
    assert job.status == JobStatus.succeeded, job.errors
    assert job.warning_count == 0, job.warnings
    assert job.counts["regions"] == {"province": 1, "regency": 2, "district": 2, "village": 5}


def test_a_recoded_edition_imports_with_its_mapping(db: Any, tmp_path: Path) -> None:
    first = import_villages(db, [EXAMPLES / "wilayah.csv"], edition=EditionInfo(label="1"))
    assert first.status == JobStatus.succeeded, first.errors
    registry = tmp_path / "registry.csv"
    registry.write_text(
        "registry_id,name,village_codes,scheme,stage\n"
        "KMP-6472051003,Koperasi Kelurahan Merah Putih Lempake,64.72.05.1003,new,deliberation\n"
    )
    coop = import_registry(db, registry, file_format=FileFormat.registry)
    assert coop.status == JobStatus.succeeded, coop.errors
    second = import_villages(
        db,
        [EXAMPLES / "wilayah-recoded.csv"],
        edition=EditionInfo(label="2"),
        mapping=EXAMPLES / "mapping.csv",
        # One village of five re-coded retires 20 % of this tiny list: over the guard's share.
        allow_mass_retirement=True,
    )
    assert second.status == JobStatus.succeeded, second.errors
    assert second.counts["recoded"] == 1  # the cooperative moved with its village
    with db.sync_session() as session:
        codes = session.scalars(
            select(Region.code)
            .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
            .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
            .where(Cooperative.registry_id == "KMP-6472051003")
        ).all()
    assert codes == ["64.72.05.1099"]


def test_the_registry_and_proposal_examples_import(db: Any) -> None:
    villages = import_villages(db, [KALTIM_2025], edition=EditionInfo(label="2025"))
    assert villages.status == JobStatus.succeeded
    for name, file_format in (
        ("registry-example.csv", FileFormat.registry),
        ("proposals-example.csv", FileFormat.proposals),
    ):
        job = import_registry(db, DOCS / "examples" / name, file_format=file_format)
        assert job.status == JobStatus.succeeded, (name, job.errors)
        assert job.error_count == 0


def test_the_document_shows_every_example() -> None:
    text = (DOCS / "import-formats.md").read_text()
    linked = set(re.findall(r"\]\((examples/[^)]+)\)", text))
    shipped = {f"examples/import/{p.name}" for p in EXAMPLES.iterdir() if p.is_file()} | {
        "examples/registry-example.csv",
        "examples/proposals-example.csv",
    }
    assert shipped <= linked, sorted(shipped - linked)
    assert "examples/import/per-level/" in linked
