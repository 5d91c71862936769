"""The registry import: upsert by registry id, row errors, nothing written on error, idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from shared.data_version import get_state
from shared.db import Database
from shared.models import (
    AuditEntry,
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    ImportJob,
    JobStatus,
    MemberCount,
    Outlet,
    Region,
    StageEvent,
)
from shared.registry.service import import_now, start_cooperative_import
from tests.registry.support import coop, load_villages, table_dump, write_rows
from tests.support import village_links, wait_for_job

DESA_A = "64.01.01.2009"
DESA_B = "64.01.01.2010"
DESA_C = "64.01.01.2011"
KELURAHAN = "64.01.04.1001"


@pytest.fixture
def villages(db: Database) -> Database:
    load_villages(db)
    return db


def _import(db: Database, tmp_path: Path, rows: list[dict[str, Any]], **kw: Any) -> ImportJob:
    path = write_rows(tmp_path / f"registry-{len(list(tmp_path.iterdir()))}.csv", rows, **kw)
    return import_now(db, path)


def _errors(job: ImportJob) -> list[tuple[int | None, str | None, str]]:
    return [(e["line"], e["field"], e["code"]) for e in job.errors]


def test_a_file_creates_cooperatives_with_villages_stages_outlets_and_members(
    villages: Database, tmp_path: Path
) -> None:
    job = _import(
        villages,
        tmp_path,
        [
            coop(
                DESA_A,
                "R-1",
                legal_entity_on="2025-07-01",
                deliberation_on="2025-05-01",
                sk_ahu_number="AHU-1",
                sk_ahu_date="2025-07-01",
                nik_koperasi="NIK-1",
                outlets="grocery:47111;savings_loans",
                member_count="120",
                member_count_as_of="2025-07-21",
                is_mockup="yes",
            ),
            coop(KELURAHAN, "R-2", scheme="pengembangan", stage="badan hukum"),
            coop(f"{DESA_B};{DESA_C}", "R-3", name="Merger", scheme="revitalisation"),
        ],
    )
    assert job.status == JobStatus.succeeded, job.errors
    assert job.counts["created"] == 3
    with villages.sync_session() as session:
        coops = {c.registry_id: c for c in session.execute(select(Cooperative)).scalars()}
        assert coops["R-1"].kind == CooperativeKind.kdmp
        assert coops["R-2"].kind == CooperativeKind.kkmp
        assert coops["R-2"].scheme.value == "development"
        assert coops["R-1"].is_mockup
        assert coops["R-1"].member_count == 120
        merger_villages = session.execute(
            select(Region.code)
            .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
            .where(CooperativeVillage.cooperative_id == coops["R-3"].id)
        ).scalars()
        assert sorted(merger_villages) == [DESA_B, DESA_C]
        events = session.execute(
            select(StageEvent.stage, StageEvent.reached_on).where(
                StageEvent.cooperative_id == coops["R-1"].id
            )
        ).all()
        assert {(s.value, str(d)) for s, d in events} == {
            ("deliberation", "2025-05-01"),
            ("legal_entity", "2025-07-01"),
        }
        outlets = session.execute(
            select(Outlet.type, Outlet.kbli).where(Outlet.cooperative_id == coops["R-1"].id)
        ).all()
        assert {(t.value, k) for t, k in outlets} == {("grocery", "47111"), ("savings_loans", None)}
        assert session.execute(select(func.count()).select_from(MemberCount)).scalar_one() == 1
        audit = (
            session.execute(select(AuditEntry).where(AuditEntry.operation == "import.registry"))
            .scalars()
            .one()
        )
        assert audit.operation == "import.registry"
        assert audit.after is not None
        assert audit.after["created"] == 3


def test_importing_the_same_file_twice_changes_nothing(villages: Database, tmp_path: Path) -> None:
    rows = [
        coop(DESA_A, outlets="grocery", member_count="10", member_count_as_of="2025-01-01"),
        coop(KELURAHAN, sk_ahu_number="AHU-9"),
    ]
    path = write_rows(tmp_path / "r.csv", rows)
    first = import_now(villages, path)
    assert first.status == JobStatus.succeeded
    with villages.sync_session() as session:
        version = get_state(session).data_version
    before = [
        table_dump(villages, m) for m in (Cooperative, CooperativeVillage, StageEvent, Outlet)
    ]

    second = import_now(villages, path)

    assert second.status == JobStatus.succeeded
    assert second.counts["unchanged"] == 2
    assert second.counts["created"] == second.counts["updated"] == 0
    assert "nothing changed" in (second.message or "")
    after = [table_dump(villages, m) for m in (Cooperative, CooperativeVillage, StageEvent, Outlet)]
    assert after == before
    with villages.sync_session() as session:
        assert get_state(session).data_version == version
        assert (
            session.execute(
                select(func.count()).where(AuditEntry.operation == "import.registry")
            ).scalar_one()
            == 1
        )


def test_rows_are_upserted_by_registry_id(villages: Database, tmp_path: Path) -> None:
    _import(villages, tmp_path, [coop(DESA_A, "R-1", outlets="grocery"), coop(DESA_B, "R-2")])
    job = _import(
        villages,
        tmp_path,
        [coop(DESA_C, "R-1", name="Renamed", outlets="pharmacy"), coop(DESA_B, "R-2")],
    )
    assert job.status == JobStatus.succeeded, job.errors
    assert (job.counts["created"], job.counts["updated"], job.counts["unchanged"]) == (0, 1, 1)
    with villages.sync_session() as session:
        r1 = session.execute(
            select(Cooperative).where(Cooperative.registry_id == "R-1")
        ).scalar_one()
        assert r1.name == "Renamed"
        assert r1.version == 2
        codes = session.execute(
            select(Region.code)
            .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
            .where(CooperativeVillage.cooperative_id == r1.id)
        ).scalars()
        assert list(codes) == [DESA_C]
        types = session.execute(select(Outlet.type).where(Outlet.cooperative_id == r1.id))
        assert [t.value for t in types.scalars()] == ["pharmacy"]


def test_two_cooperatives_may_swap_villages_and_legal_numbers_in_one_file(
    villages: Database, tmp_path: Path
) -> None:
    _import(
        villages,
        tmp_path,
        [coop(DESA_A, "R-1", nib="N-1"), coop(DESA_B, "R-2", nib="N-2")],
    )
    job = _import(
        villages,
        tmp_path,
        [coop(DESA_B, "R-1", nib="N-2"), coop(DESA_A, "R-2", nib="N-1")],
    )
    assert job.status == JobStatus.succeeded, job.errors
    assert job.counts["updated"] == 2


def _warnings(job: ImportJob) -> list[tuple[int | None, str | None, str, str | None]]:
    return [(w["line"], w["field"], w["code"], w["value"]) for w in job.warnings]


def test_a_village_claimed_by_two_rows_stores_both_with_a_warning_naming_both_rows(
    villages: Database, tmp_path: Path
) -> None:
    job = _import(villages, tmp_path, [coop(DESA_A, "R-1"), coop(f"{DESA_B};{DESA_A}", "R-2")])
    assert job.status == JobStatus.succeeded, job.errors
    assert (job.counts["created"], job.error_count, job.warning_count) == (2, 0, 1)
    assert _warnings(job) == [(3, "village_codes", "village_claimed_twice", DESA_A)]
    assert "R-1 on line 2" in job.warnings[0]["message"]
    assert village_links(villages) == [("R-1", DESA_A), ("R-2", DESA_A), ("R-2", DESA_B)]


def test_a_village_covered_by_a_cooperative_outside_the_file_keeps_both_with_a_warning(
    villages: Database, tmp_path: Path
) -> None:
    _import(villages, tmp_path, [coop(DESA_A, "R-1")])
    job = _import(villages, tmp_path, [coop(DESA_A, "R-2")])
    assert job.status == JobStatus.succeeded, job.errors
    assert _warnings(job) == [(2, "village_codes", "village_has_cooperative", DESA_A)]
    assert "R-1" in job.warnings[0]["message"]
    assert village_links(villages) == [("R-1", DESA_A), ("R-2", DESA_A)]


def test_an_unknown_village_code_is_an_error(villages: Database, tmp_path: Path) -> None:
    job = _import(villages, tmp_path, [coop("64.99.99.2999")])
    assert _errors(job) == [(2, "village_codes", "unknown_village")]


def test_a_retired_village_code_is_an_error_for_a_new_link(
    villages: Database, tmp_path: Path
) -> None:
    with villages.transaction() as session:
        session.execute(
            text("UPDATE regions SET retired_edition_id = first_edition_id WHERE code = :c"),
            {"c": DESA_A},
        )
    job = _import(villages, tmp_path, [coop(DESA_A)])
    assert _errors(job) == [(2, "village_codes", "retired_village")]


def test_a_legal_number_used_twice_names_both_rows(villages: Database, tmp_path: Path) -> None:
    job = _import(
        villages,
        tmp_path,
        [coop(DESA_A, "R-1", npwp="0123"), coop(DESA_B, "R-2", npwp="0123")],
    )
    assert _errors(job) == [(3, "npwp", "duplicate_legal_number")]
    assert "R-1 on line 2" in job.errors[0]["message"]


def test_a_legal_number_of_a_cooperative_outside_the_file_is_refused(
    villages: Database, tmp_path: Path
) -> None:
    _import(villages, tmp_path, [coop(DESA_A, "R-1", sk_ahu_number="AHU-1")])
    job = _import(villages, tmp_path, [coop(DESA_B, "R-2", sk_ahu_number="AHU-1")])
    assert _errors(job) == [(2, "sk_ahu_number", "legal_number_in_use")]
    assert "R-1" in job.errors[0]["message"]


def test_a_registry_id_twice_names_both_rows(villages: Database, tmp_path: Path) -> None:
    job = _import(villages, tmp_path, [coop(DESA_A, "R-1"), coop(DESA_B, "R-1")])
    assert _errors(job) == [(3, "registry_id", "duplicate_registry_id")]
    assert "line 2" in job.errors[0]["message"]


def test_a_cooperative_cannot_mix_desa_and_kelurahan(villages: Database, tmp_path: Path) -> None:
    job = _import(villages, tmp_path, [coop(f"{DESA_A};{KELURAHAN}")])
    assert _errors(job) == [(2, "village_codes", "mixed_village_kinds")]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"scheme": "takeover"}, ("scheme", "bad_scheme")),
        ({"stage": "dreaming"}, ("stage", "bad_stage")),
        ({"stage": ""}, ("stage", "required")),
        ({"name": ""}, ("name", "required")),
        ({"name": "Bad\x07Name"}, ("name", "control_characters")),
        ({"village_codes": "64.01.01"}, ("village_codes", "bad_village_code")),
        ({"village_codes": f"{DESA_A};{DESA_A}"}, ("village_codes", "repeated_village")),
        ({"sk_ahu_date": "21/07/2025"}, ("sk_ahu_date", "bad_date")),
        ({"member_count": "-3"}, ("member_count", "bad_number")),
        ({"is_mockup": "maybe"}, ("is_mockup", "bad_boolean")),
        ({"outlets": "grocery:64142"}, ("outlets", "bad_kbli")),
        ({"outlets": "casino"}, ("outlets", "bad_outlets")),
        ({"operational_on": "2025-08-01"}, ("operational_on", "stage_not_reached")),
        ({"npwp": "9" * 40}, ("npwp", "too_long")),
    ],
)
def test_a_bad_cell_is_reported_with_line_field_and_code(
    villages: Database, tmp_path: Path, fields: dict[str, str], expected: tuple[str, str]
) -> None:
    job = _import(villages, tmp_path, [coop(DESA_B), coop(DESA_A, **fields)])
    assert job.status == JobStatus.failed
    assert _errors(job) == [(3, *expected)]
    assert job.errors[0]["message"]


def test_missing_columns_an_empty_file_and_a_non_utf8_file_are_refused(
    villages: Database, tmp_path: Path
) -> None:
    missing = import_now(villages, write_rows(tmp_path / "m.csv", [{"registry_id": "x"}]))
    assert {e["field"] for e in missing.errors} == {"name", "village_codes", "scheme", "stage"}
    assert {e["code"] for e in missing.errors} == {"missing_column"}
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert _errors(import_now(villages, empty)) == [(1, None, "empty_file")]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("registry_id,name\nx,Caf\xe9\n".encode("latin-1"))
    assert [e["code"] for e in import_now(villages, latin).errors] == ["unreadable_encoding"]


def test_a_file_with_one_bad_row_writes_nothing(villages: Database, tmp_path: Path) -> None:
    _import(villages, tmp_path, [coop(DESA_A, "R-1"), coop(DESA_B, "R-2")])
    with villages.sync_session() as session:
        version = get_state(session).data_version
    before = table_dump(villages, Cooperative), table_dump(villages, CooperativeVillage)

    job = _import(
        villages,
        tmp_path,
        [coop(DESA_A, "R-1", name="Changed"), coop(DESA_C, "R-3"), coop("64.99.99.2999", "R-4")],
    )

    assert job.status == JobStatus.failed
    assert job.error_count == 1
    assert (table_dump(villages, Cooperative), table_dump(villages, CooperativeVillage)) == before
    with villages.sync_session() as session:
        assert get_state(session).data_version == version


def test_an_exception_while_writing_leaves_the_previous_data_intact(
    villages: Database, tmp_path: Path
) -> None:
    _import(villages, tmp_path, [coop(DESA_A, "R-1")])
    before = table_dump(villages, Cooperative), table_dump(villages, CooperativeVillage)
    # A trigger makes the last write of the import (its outlets) fail inside the database.
    with villages.transaction() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text(
                    "CREATE FUNCTION refuse_outlet() RETURNS trigger LANGUAGE plpgsql AS"
                    " $$ BEGIN RAISE EXCEPTION 'outlet refused by test trigger'; END $$"
                )
            )
            session.execute(
                text(
                    "CREATE TRIGGER refuse_outlet BEFORE INSERT ON outlets"
                    " FOR EACH ROW EXECUTE FUNCTION refuse_outlet()"
                )
            )
        else:
            session.execute(
                text(
                    "CREATE TRIGGER refuse_outlet BEFORE INSERT ON outlets"
                    " BEGIN SELECT RAISE(ABORT, 'outlet refused by test trigger'); END"
                )
            )
    try:
        with pytest.raises(Exception, match="outlet refused"):
            _import(
                villages,
                tmp_path,
                [coop(DESA_A, "R-1", name="Changed"), coop(DESA_B, "R-2", outlets="grocery")],
            )
        assert (table_dump(villages, Cooperative), table_dump(villages, CooperativeVillage)) == (
            before
        )
        with villages.sync_session() as session:
            job = session.execute(select(ImportJob).order_by(ImportJob.id.desc())).scalars().first()
            assert job is not None
            assert job.status == JobStatus.failed
            assert "outlet refused" in (job.message or "")
    finally:
        with villages.transaction() as session:
            session.execute(
                text(
                    "DROP TRIGGER refuse_outlet"
                    + (" ON outlets" if session.get_bind().dialect.name == "postgresql" else "")
                )
            )
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("DROP FUNCTION refuse_outlet()"))


def test_a_dry_run_counts_changes_and_writes_nothing(villages: Database, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "r.csv", [coop(DESA_A), coop(DESA_B)])
    job = import_now(villages, path, dry_run=True)
    assert job.status == JobStatus.succeeded
    assert job.counts["created"] == 2
    assert table_dump(villages, Cooperative) == []


def test_an_xlsx_file_imports_like_csv(villages: Database, tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Registry ID", "Name", "Village codes", "Scheme", "Stage", "NIB", "SK AHU date"])
    sheet.append(["X-1", "Koperasi X", DESA_A, "new", "legal_entity", 812345678901, None])
    sheet.append(["X-2", "Koperasi Y", KELURAHAN, "new", "operational", None, "bad"])
    path = tmp_path / "registry.xlsx"
    workbook.save(path)
    job = import_now(villages, path)
    assert _errors(job) == [(3, "sk_ahu_date", "bad_date")]


def test_an_import_through_the_worker_succeeds_and_refreshes_coverage(
    villages: Database, worker: object, tmp_path: Path
) -> None:
    path = write_rows(tmp_path / "r.csv", [coop(DESA_A), coop(KELURAHAN)])
    job = start_cooperative_import(villages, path)
    assert job.status == JobStatus.queued
    assert job.source_path == "0/r.csv"  # staged from the database, not a path of this host
    assert [f["path"] for f in job.params["files"]] == ["0/r.csv"]
    finished = wait_for_job(villages, job.id)
    assert finished.status == JobStatus.succeeded, (finished.message, finished.errors)
    assert finished.counts["created"] == 2
    assert finished.attempts == 1
    from tests.registry.support import wait_until_fresh

    wait_until_fresh(villages)
    with villages.sync_session() as session:
        covered = session.execute(
            text("SELECT covered_villages FROM coverage_figures WHERE scope_code = '64'")
        ).scalar_one()
    assert covered == 2


def test_a_json_file_imports_what_the_same_csv_does(villages: Database, tmp_path: Path) -> None:
    import json

    rows = [coop(DESA_A, "R-1", member_count=120, member_count_as_of="2025-07-21"), coop(DESA_B)]
    as_json = tmp_path / "registry.json"
    as_json.write_text(json.dumps(rows), encoding="utf-8")
    job = import_now(villages, as_json)
    assert job.status == JobStatus.succeeded, job.errors
    assert job.counts["created"] == 2
    again = import_now(villages, write_rows(tmp_path / "registry.csv", rows))
    assert again.status == JobStatus.succeeded, again.errors
    assert again.counts["unchanged"] == 2

    broken = tmp_path / "broken.json"
    broken.write_text('[{"registry_id": "R-9", "name": ', encoding="utf-8")
    refused = import_now(villages, broken)
    assert refused.status == JobStatus.failed
    assert [e["code"] for e in refused.errors] == ["unreadable_file"]
