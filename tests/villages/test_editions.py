"""Editions and their diffs, through the real worker: renames, retirements, reinstatements,
re-coded villages with their cooperatives, re-imports that change nothing, dry runs."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from shared.db import Database
from shared.files import open_file
from shared.jobs.actors import VILLAGE_IMPORT as ACTOR_NAME
from shared.jobs.queue import enqueue_job
from shared.models import (
    AuditEntry,
    DataState,
    Edition,
    ImportJob,
    JobKind,
    JobStatus,
    Proposal,
    ProposalVillage,
    Region,
    RegionChange,
)
from shared.villages.queries import retired_villages_with_cooperatives
from shared.villages.service import EditionInfo, import_now, start_village_import
from tests.support import wait_for_job
from tests.villages.common import (
    E2022,
    E2025,
    VILLAGES,
    WILAYAH_2022,
    WILAYAH_2025,
    add_cooperative,
    current_edition,
    region_count,
    region_names,
    village_of_cooperative,
    write_edition,
)

LEMPAKE = "64.72.05.1003"


def run(db: Database, sources: list[Path], edition: EditionInfo, **options: object) -> ImportJob:
    job = start_village_import(db, sources, edition=edition, **options)  # type: ignore[arg-type]
    finished: ImportJob = wait_for_job(db, job.id)
    return finished


def test_2022_then_2025_renames_what_the_decree_renamed(db: Database, worker: object) -> None:
    first = run(db, [WILAYAH_2022], E2022)
    assert first.status is JobStatus.succeeded, first.message
    assert first.diff is not None
    assert first.diff["village"]["added"] == 1038
    assert first.counts["regions"] == {
        "province": 1, "regency": 10, "district": 105, "village": 1038,
    }  # fmt: skip

    job = run(db, [WILAYAH_2025], E2025)
    assert job.status is JobStatus.succeeded, job.message
    assert job.diff == {
        "province": {"added": 0, "renamed": 1, "retired": 0, "reinstated": 0, "unchanged": 0},
        "regency": {"added": 0, "renamed": 10, "retired": 0, "reinstated": 0, "unchanged": 0},
        "district": {"added": 0, "renamed": 1, "retired": 0, "reinstated": 0, "unchanged": 104},
        "village": {"added": 0, "renamed": 13, "retired": 0, "reinstated": 0, "unchanged": 1025},
    }
    assert job.attempts == 1
    assert job.source_sha256
    assert len(job.source_sha256) == 64
    assert job.timings["total"] > 0
    assert job.rows_done == job.rows_total == 1154
    assert current_edition(db) == "2025"
    names = region_names(db)
    assert names["64.02.20"] == "Samboja Barat"
    assert names["64.01"] == "Kabupaten Paser"
    with db.sync_session() as session:
        changes = session.execute(
            select(RegionChange.change, func.count()).group_by(RegionChange.change)
        ).all()
        assert dict(changes) == {"renamed": 25}
        district = session.execute(
            select(RegionChange.old_name, RegionChange.new_name)
            .join(Region, Region.id == RegionChange.region_id)
            .where(Region.code == "64.02.20")
        ).one()
        assert tuple(district) == ("Semboja Barat", "Samboja Barat")
        edition = session.execute(select(Edition).where(Edition.label == "2025")).scalar_one()
        assert edition.decree == "Kepmendagri 300.2.2-2138/2025"
        audit = (
            session.execute(select(AuditEntry).where(AuditEntry.operation == "villages.import"))
            .scalars()
            .all()
        )
        assert len(audit) == 2
        assert session.get(DataState, 1).data_version == 2  # type: ignore[union-attr]


def test_reimport_of_the_same_file_changes_nothing_and_says_so(
    db: Database, worker: object
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    with db.sync_session() as session:
        version = session.get(DataState, 1).data_version  # type: ignore[union-attr]
    again = run(db, [WILAYAH_2025], E2025)
    assert again.status is JobStatus.succeeded, again.message
    assert "nothing changed" in (again.message or "")
    assert "same SHA-256" in (again.message or "")
    assert again.diff is not None
    assert sum(level["unchanged"] for level in again.diff.values()) == 1154
    assert all(
        level[k] == 0 for level in again.diff.values() for k in ("added", "renamed", "retired")
    )
    with db.sync_session() as session:
        assert session.get(DataState, 1).data_version == version  # type: ignore[union-attr]
        assert session.execute(select(func.count()).select_from(Edition)).scalar_one() == 1


def test_a_message_delivered_twice_does_the_work_once(db: Database, worker: object) -> None:
    job = start_village_import(db, [WILAYAH_2025], edition=E2025)
    enqueue_job(ACTOR_NAME, job.id)
    finished = wait_for_job(db, job.id)
    assert finished.status is JobStatus.succeeded, finished.message
    assert finished.attempts == 1
    assert region_count(db) == 1154
    with db.sync_session() as session:
        assert session.execute(select(func.count()).select_from(Edition)).scalar_one() == 1


def test_a_known_label_with_other_content_is_refused(db: Database, worker: object) -> None:
    assert run(db, [WILAYAH_2022], E2025).status is JobStatus.succeeded
    job = run(db, [WILAYAH_2025], E2025)
    assert job.status is JobStatus.failed
    assert "is the current edition and this file differs from it" in (job.message or "")
    assert region_names(db)["64.02.20"] == "Semboja Barat"


def _without_lempake(name: str, lines: list[str]) -> list[str]:
    return [line for line in lines if not line.startswith(LEMPAKE)]


def test_retired_village_keeps_its_cooperative_flagged_and_comes_back(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    coop = add_cooperative(db, LEMPAKE, "Koperasi Kelurahan Merah Putih Lempake")
    smaller = write_edition(tmp_path / "2026", WILAYAH_2025, _without_lempake)

    job = run(db, [smaller], EditionInfo("2026"))
    assert job.status is JobStatus.succeeded, job.message
    assert job.diff is not None
    assert job.diff["village"]["retired"] == 1
    assert [w["code"] for w in job.warnings] == ["retired_with_cooperative"]
    assert job.warnings[0]["value"] == LEMPAKE
    assert region_count(db) == 1153
    assert region_count(db, active=False) == 1154  # kept, never deleted
    assert village_of_cooperative(db, coop) == LEMPAKE
    with db.sync_session() as session:
        (flagged,) = retired_villages_with_cooperatives(session)
        assert (flagged.code, flagged.cooperative_id) == (LEMPAKE, coop)
        assert flagged.retired_edition_label == "2026"

    back = run(db, [WILAYAH_2025], EditionInfo("2027"))
    assert back.status is JobStatus.succeeded, back.message
    assert back.diff is not None
    assert back.diff["village"]["reinstated"] == 1
    assert region_count(db) == 1154
    with db.sync_session() as session:
        assert retired_villages_with_cooperatives(session) == []


def test_recoded_village_keeps_its_cooperative_through_a_mapping(
    db: Database, worker: object, tmp_path: Path
) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    coop = add_cooperative(db, LEMPAKE)

    def recode(name: str, lines: list[str]) -> list[str]:
        return [line.replace(LEMPAKE, "64.72.05.1099") for line in lines]

    recoded = write_edition(tmp_path / "2026", WILAYAH_2025, recode)
    job = run(db, [recoded], EditionInfo("2026"), mapping=VILLAGES / "mapping-recode.csv")
    assert job.status is JobStatus.succeeded, (job.message, job.errors)
    assert job.diff is not None
    assert job.diff["village"]["added"] == 1
    assert job.diff["village"]["retired"] == 1
    assert job.counts["recoded"] == 1
    assert job.warnings == []  # the retired code no longer has a cooperative
    assert village_of_cooperative(db, coop) == "64.72.05.1099"
    with db.sync_session() as session:
        change = session.execute(
            select(RegionChange).where(RegionChange.change == "recoded")
        ).scalar_one()
        assert (change.old_name, change.new_name) == (LEMPAKE, "64.72.05.1099")
        assert retired_villages_with_cooperatives(session) == []


def test_a_mapping_carries_proposals_over_to_the_new_code(
    db: Database, worker: object, tmp_path: Path
) -> None:
    from shared.audit import Actor
    from shared.proposals.service import submit_proposal

    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    steward = Actor(name="test-steward")
    with db.transaction() as session:
        own = submit_proposal(
            session, steward, region_code=LEMPAKE, proposed_name="Koperasi Lempake Baru"
        ).id
        district = submit_proposal(
            session, steward, region_code="64.72.05", proposed_name="Koperasi Samarinda Utara",
            village_codes=[LEMPAKE, "64.72.05.1002"],
        ).id  # fmt: skip

    recoded = write_edition(
        tmp_path / "2026",
        WILAYAH_2025,
        lambda _name, lines: [line.replace(LEMPAKE, "64.72.05.1099") for line in lines],
    )
    job = run(db, [recoded], EditionInfo("2026"), mapping=VILLAGES / "mapping-recode.csv")
    assert job.status is JobStatus.succeeded, (job.message, job.errors)
    assert job.counts["recoded"] == 1  # no cooperative there: its proposals alone move it
    assert "re-coded with their cooperatives and proposals" in (job.message or "")
    with db.sync_session() as session:
        region_of = dict(
            session.execute(
                select(Proposal.id, Region.code).join(Region, Region.id == Proposal.region_id)
            ).all()
        )
        named = sorted(
            session.execute(
                select(Region.code)
                .join(ProposalVillage, ProposalVillage.village_id == Region.id)
                .where(ProposalVillage.proposal_id == district)
            ).scalars()
        )
        moved = session.get(Proposal, own)
        assert moved is not None
        assert (moved.district_code, moved.regency_code) == ("64.72.05", "64.72")
    assert region_of == {own: "64.72.05.1099", district: "64.72.05"}
    assert named == ["64.72.05.1002", "64.72.05.1099"]


def test_mapping_to_a_code_not_in_the_file_is_an_error(db: Database, worker: object) -> None:
    assert run(db, [WILAYAH_2025], E2025).status is JobStatus.succeeded
    add_cooperative(db, LEMPAKE)
    job = run(db, [WILAYAH_2025], EditionInfo("2026"), mapping=VILLAGES / "mapping-recode.csv")
    assert job.status is JobStatus.failed
    (error,) = job.errors
    assert (error["code"], error["line"], error["field"]) == ("bad_mapping", 2, "new_code")
    assert current_edition(db) == "2025"


def test_dry_run_stores_the_diff_and_writes_nothing_else(db: Database, worker: object) -> None:
    assert run(db, [WILAYAH_2022], E2022).status is JobStatus.succeeded
    before = region_names(db)
    job = run(db, [WILAYAH_2025], E2025, dry_run=True)
    assert job.status is JobStatus.succeeded, job.message
    assert job.dry_run
    assert job.diff is not None
    assert job.diff["village"]["renamed"] == 13
    assert "dry run" in (job.message or "")
    sample = {entry["code"]: entry for entry in job.counts["sample"]}
    assert len(sample) == 25
    assert sample["64.02.20"] == {
        "change": "renamed", "code": "64.02.20", "old_name": "Semboja Barat",
        "new_name": "Samboja Barat",
    }  # fmt: skip
    assert region_names(db) == before
    assert current_edition(db) == "2022"
    with db.sync_session() as session:
        assert session.execute(select(func.count()).select_from(RegionChange)).scalar_one() == 0
        kinds = session.execute(select(ImportJob.kind)).scalars().all()
        assert kinds.count(JobKind.coverage) <= 1  # only the first import's recalculation


def test_inputs_are_stored_in_the_database_for_any_worker(db: Database) -> None:
    job = start_village_import(db, [WILAYAH_2025], edition=E2025, enqueue=False)
    assert job.params["sources"] == ["0/2025-64"]
    names = sorted(f["path"] for f in job.params["files"])
    assert names == sorted(f"0/2025-64/{p.name}" for p in WILAYAH_2025.iterdir())
    with db.sync_session() as session:
        for entry in job.params["files"]:
            local = WILAYAH_2025 / entry["path"].rsplit("/", 1)[1]
            with open_file(session, entry["id"]) as stream:
                assert stream.read() == local.read_bytes()


def test_import_now_runs_in_process(db: Database) -> None:
    job = import_now(db, [WILAYAH_2025], edition=E2025)
    assert job.status is JobStatus.succeeded
    assert job.requested_by == "system"
    assert region_count(db) == 1154


def test_the_same_content_in_another_form_changes_nothing(db: Database, tmp_path: Path) -> None:
    import zipfile

    assert import_now(db, [WILAYAH_2025], edition=E2025).status is JobStatus.succeeded
    archive = tmp_path / "wilayah-64.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in WILAYAH_2025.glob("*.csv"):
            z.write(path, path.name)
    again = import_now(db, [archive], edition=E2025)
    assert again.status is JobStatus.succeeded, again.message
    # Another SHA-256, so every row was read and compared: and nothing differs.
    assert "nothing changed" in (again.message or "")
    assert "same SHA-256" not in (again.message or "")
    assert again.diff is not None
    assert again.diff["village"]["unchanged"] == 1038
    with db.sync_session() as session:
        assert session.execute(select(func.count()).select_from(RegionChange)).scalar_one() == 0
