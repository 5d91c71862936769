"""What a dry run shows before anything is written: a sample of every kind of change, and the
villages it would retire that have cooperatives (the warnings the import itself would give)."""

from __future__ import annotations

from pathlib import Path

from shared.db import Database
from shared.models import JobStatus
from shared.villages.diff import Diff
from shared.villages.edition import EditionInfo
from tests.villages.common import (
    E2025,
    VILLAGES,
    WILAYAH_2025,
    add_cooperative,
    region_count,
    village_of_cooperative,
    write_edition,
)
from tests.villages.test_editions import LEMPAKE, _without_lempake, run


def test_a_dry_run_warns_of_villages_it_would_retire_that_have_cooperatives(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    coop = add_cooperative(db, LEMPAKE, "Koperasi Kelurahan Merah Putih Lempake")
    add_cooperative(db, "64.72.05.1002", "Koperasi Tetap")  # stays in the edition: no warning
    smaller = write_edition(tmp_path / "2026", WILAYAH_2025, _without_lempake)

    preview = run(db, [smaller], EditionInfo("2026"), dry_run=True)
    assert preview.status is JobStatus.succeeded, preview.message
    assert preview.warning_count == 1
    (warning,) = preview.warnings
    assert (warning["code"], warning["field"], warning["value"]) == (
        "retired_with_cooperative",
        "code",
        LEMPAKE,
    )
    assert "would be retired" in warning["message"]
    assert f"cooperative {coop}" in warning["message"]
    assert region_count(db) == 1154  # nothing retired yet
    assert village_of_cooperative(db, coop) == LEMPAKE

    real = run(db, [smaller], EditionInfo("2026"))
    assert [e["code"] for e in real.counts["sample"] if e["change"] == "retired"] == [LEMPAKE]
    assert [(w["code"], w["value"]) for w in real.warnings] == [(warning["code"], warning["value"])]


def test_a_dry_run_does_not_warn_of_a_village_the_mapping_moves(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    add_cooperative(db, LEMPAKE)
    recoded = write_edition(
        tmp_path / "2026",
        WILAYAH_2025,
        lambda _name, lines: [line.replace(LEMPAKE, "64.72.05.1099") for line in lines],
    )
    preview = run(
        db, [recoded], EditionInfo("2026"), dry_run=True, mapping=VILLAGES / "mapping-recode.csv"
    )
    assert preview.status is JobStatus.succeeded, (preview.message, preview.errors)
    assert preview.diff is not None
    assert preview.diff["village"]["retired"] == 1
    assert preview.warnings == []


def test_the_sample_keeps_the_first_changes_of_each_kind() -> None:
    from shared.models import RegionKind, RegionLevel
    from shared.villages.validation import ParsedRegion

    diff = Diff()
    for n in range(3):
        code = f"64.72.05.10{n + 50}"
        diff.added.append(
            ParsedRegion(
                code=code,
                name=f"Baru {n}",
                level=RegionLevel.village,
                kind=RegionKind.kelurahan,
                customary=False,
                file="villages.csv",
                line=n + 2,
            )
        )
        diff.renamed.append((10 + n, f"Lama {n}", f"Baru {n}"))
        diff.code_of[10 + n] = f"64.72.05.100{n}"
        diff.retired.append((20 + n, f"Pensiun {n}"))
        diff.code_of[20 + n] = f"64.72.06.100{n}"

    sample = diff.sample(2)
    assert [(entry["change"], entry["code"]) for entry in sample] == [
        ("added", "64.72.05.1050"),
        ("added", "64.72.05.1051"),
        ("renamed", "64.72.05.1000"),
        ("renamed", "64.72.05.1001"),
        ("retired", "64.72.06.1000"),
        ("retired", "64.72.06.1001"),
    ]
    assert sample[2] == {
        "change": "renamed",
        "code": "64.72.05.1000",
        "old_name": "Lama 0",
        "new_name": "Baru 0",
    }
