"""Guard rails on editions: a file that would retire most villages, or an older edition, is
said loudly by a dry run and refused by an import unless allowed; an earlier edition can be
made current again, as one swap; refusals say what is true."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from shared.audit import Actor
from shared.db import Database
from shared.errors import InvalidInput, NotFound
from shared.models import AuditEntry, CoverageFigure, Edition, ImportJob, JobStatus, RegionLevel
from shared.villages.service import EditionInfo, start_edition_restore, start_village_import
from tests.registry.support import wait_until_fresh
from tests.support import wait_for_job
from tests.villages.common import WILAYAH_2022, WILAYAH_2025, region_count, region_names

E2025 = EditionInfo("2025", "Kepmendagri 300.2.2-2138/2025", date(2025, 4, 25))
E2022 = EditionInfo("2022", "Kepmendagri 100.1.1-6117/2022", date(2022, 12, 1))
PASER = EditionInfo("paser")  # one regency of the province: retires 90 % of its villages


def _paser_only(folder: Path) -> Path:
    """The province, Kabupaten Paser and what is in it, as one flat list."""
    path = folder / "paser.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name"])
        for level in ("provinces", "regencies", "districts", "villages"):
            with (WILAYAH_2025 / f"{level}.csv").open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row["code"] == "64" or row["code"].startswith("64.01"):
                        writer.writerow([row["code"], row["name"]])
    return path


def run(db: Database, sources: list[Path], edition: EditionInfo, **options: Any) -> ImportJob:
    job = start_village_import(db, sources, edition=edition, actor=Actor("test"), **options)
    finished: ImportJob = wait_for_job(db, job.id)
    return finished


def _current(db: Database) -> str:
    with db.sync_session() as session:
        return session.execute(select(Edition.label).where(Edition.is_current)).scalar_one()


def test_a_dry_run_that_would_retire_most_villages_says_so_loudly(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    active = region_count(db, RegionLevel.village)
    job = run(db, [_paser_only(tmp_path)], PASER, dry_run=True)
    assert job.diff is not None
    retiring = job.diff["village"]["retired"]
    assert active == 1038
    assert retiring == active - region_count_in(_paser_only(tmp_path), 13)
    percent = f"{100 * retiring / active:.1f} %"
    expected = (
        f"this edition would retire {retiring:,} of the 1,038 active villages ({percent}, over"
        " the 5 % threshold); is the file the whole country?"
    )
    assert job.status is JobStatus.succeeded
    assert (job.message or "").startswith(f"WARNING: {expected}. dry run of edition paser: ")
    assert [(w["code"], w["message"]) for w in job.warnings if w["field"] == "edition"] == [
        ("mass_retirement", expected)
    ]


def region_count_in(path: Path, length: int) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for row in csv.DictReader(fh) if len(row["code"]) == length)


def test_an_import_that_would_retire_most_villages_is_refused_unless_allowed(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    before = region_names(db)
    refused = run(db, [_paser_only(tmp_path)], PASER)
    assert refused.status is JobStatus.failed
    assert refused.attempts == 1
    message = refused.message or ""
    assert message.startswith("refused, nothing was written: this edition would retire")
    assert message.endswith(
        "if that is intended, import again with --allow-mass-retirement"
        " (allowMassRetirement: true in GraphQL)"
    )
    assert region_names(db) == before
    assert _current(db) == "2025"

    allowed = run(db, [_paser_only(tmp_path)], PASER, allow_mass_retirement=True)
    assert allowed.status is JobStatus.succeeded, allowed.message
    assert [w["code"] for w in allowed.warnings if w["field"] == "edition"] == ["mass_retirement"]
    assert _current(db) == "paser"
    assert region_count(db, RegionLevel.village) == region_count_in(_paser_only(tmp_path), 13)


def test_an_older_edition_is_refused_unless_allowed(db: Database, worker: object) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    dry = run(db, [WILAYAH_2022], E2022, dry_run=True)
    older = "edition 2022 (2022-12-01) is older than the current edition 2025 (2025-04-25)"
    assert (dry.message or "").startswith(f"WARNING: {older}. dry run of edition 2022")
    refused = run(db, [WILAYAH_2022], E2022)
    assert refused.status is JobStatus.failed
    assert (refused.message or "").startswith(f"refused, nothing was written: {older}; ")
    assert _current(db) == "2025"
    assert run(db, [WILAYAH_2022], E2022, allow_mass_retirement=True).status is (
        JobStatus.succeeded
    )
    assert _current(db) == "2022"


def test_an_earlier_edition_is_restored_as_one_swap_and_coverage_follows(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    names = region_names(db)
    paser = run(db, [_paser_only(tmp_path)], PASER, allow_mass_retirement=True)
    assert paser.status is JobStatus.succeeded
    retired = paser.counts["changes"]["retired"]  # villages, districts, regencies

    # The same file again is not "other content": it is edition 2025, which is not current.
    again = run(db, [WILAYAH_2025], E2025)
    assert again.status is JobStatus.failed
    assert again.message == (
        "this file equals edition 2025, which is not current (the current edition is paser):"
        " restore it with `kopdes editions restore 2025` (restoreEdition in GraphQL)"
    )

    job = start_edition_restore(db, "2025", actor=Actor("test"))
    restored = wait_for_job(db, job.id)
    assert restored.status is JobStatus.succeeded, restored.message
    assert (restored.message or "").startswith(f"edition 2025 restored: {retired} reinstated")
    assert restored.diff is not None
    assert paser.diff is not None
    assert restored.diff["village"]["reinstated"] == paser.diff["village"]["retired"]
    assert _current(db) == "2025"
    assert region_names(db) == names
    with db.sync_session() as session:
        editions = session.execute(select(Edition.label).order_by(Edition.id)).scalars().all()
        audit = (
            session.execute(
                select(AuditEntry.after).where(AuditEntry.operation == "villages.restore")
            )
            .scalars()
            .all()
        )
    assert editions == ["2025", "paser"]  # the same edition row, current again
    assert [a["job_id"] for a in audit] == [restored.id]
    assert audit[0]["changes"]["reinstated"] == restored.counts["changes"]["reinstated"]
    wait_until_fresh(db)
    with db.sync_session() as session:
        nation = session.execute(
            select(CoverageFigure.active_villages).where(CoverageFigure.scope_code == "")
        ).scalar_one()
    assert nation == 1038  # the figures follow the restored list


def test_a_restore_that_is_not_possible_says_why(db: Database, worker: object) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    with pytest.raises(NotFound, match="no edition '2019' was imported"):
        start_edition_restore(db, "2019")
    with pytest.raises(InvalidInput, match="edition 2025 is already the current edition"):
        start_edition_restore(db, "2025")


def test_editions_restore_on_the_command_line(db: Database, worker: object, tmp_path: Path) -> None:
    import cli  # noqa: F401  (registers the commands)
    from cli.app import app

    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    assert run(db, [_paser_only(tmp_path)], PASER, allow_mass_retirement=True).status is (
        JobStatus.succeeded
    )
    result = CliRunner().invoke(app, ["editions", "restore", "2025", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["status"] == "succeeded"
    assert report["edition"]["label"] == "2025"
    assert _current(db) == "2025"
    refused = CliRunner().invoke(app, ["editions", "restore", "2025", "--json"])
    assert refused.exit_code == 2
    assert json.loads(refused.stdout)["message"] == "edition 2025 is already the current edition"
