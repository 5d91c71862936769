"""Name-keyed registry files: regional summaries and cooperative lists reconciled to codes.

Province 64 is loaded through the real village importer; files spell places as SIMKOPDES
does. Each test asserts the reconciliation report, the gate, the warnings with their codes,
what was stored (crosswalk, findings, cooperatives) and what was not.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.db import Database
from shared.models import (
    ImportJob,
    JobStatus,
    PlaceCrosswalk,
    UnplacedRegistryRow,
)
from shared.registry.placing import write_decisions_csv
from shared.registry.service import import_now
from tests.registry.support import load_villages, write_rows
from tests.support import village_links

SIMKOPDES = ["province_id", "province", "district_id", "district", "cooperatives"]
SIMKOPDES += ["npwp_count", "nib_count"]
KALTIM = [  # SIMKOPDES's Kalimantan Timur rows (August 2026)
    ("350", "KAB. BERAU", 109, 109, 65),
    ("351", "KAB. KUTAI BARAT", 194, 194, 86),
    ("349", "KAB. KUTAI KARTANEGARA", 237, 237, 158),
    ("352", "KAB. KUTAI TIMUR", 141, 141, 111),
    ("354", "KAB. MAHAKAM ULU", 50, 50, 0),
    ("348", "KAB. PASER", 144, 144, 133),
    ("353", "KAB. PENAJAM PASER UTARA", 54, 54, 53),
    ("355", "KOTA BALIKPAPAN", 34, 34, 34),
    ("357", "KOTA BONTANG", 15, 15, 14),
    ("356", "KOTA SAMARINDA", 59, 58, 53),
]


@pytest.fixture
def villages(db: Database) -> Database:
    load_villages(db)
    return db


def _summary(path: Path, rows: list[tuple[str, str, int, int, int]], extra: bool = True) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(SIMKOPDES)
        for rid, name, coops, npwp, nib in rows:
            writer.writerow(["23", "KALIMANTAN TIMUR", rid, name, coops, npwp, nib])
        if extra:  # a place that is not Indonesian, as in the real snapshot
            writer.writerow(["23", "KALIMANTAN TIMUR", "9001", "Fukuoka", 1, 0, 0])
    return path


def _warnings(job: ImportJob) -> list[tuple[int | None, str | None, str]]:
    return [(w["line"], w["field"], w["code"]) for w in job.warnings]


def _crosswalk(db: Database) -> dict[tuple[str, str], tuple[str, str]]:
    with db.sync_session() as session:
        rows = session.execute(
            select(
                PlaceCrosswalk.level,
                PlaceCrosswalk.source_id,
                PlaceCrosswalk.code,
                PlaceCrosswalk.outcome,
            ).where(PlaceCrosswalk.source == "simkopdes")
        )
        return {(lv.value, sid): (code, outcome) for lv, sid, code, outcome in rows}


def _unplaced(db: Database) -> list[tuple[Any, ...]]:
    with db.sync_session() as session:
        return [
            tuple(r)
            for r in session.execute(
                select(
                    UnplacedRegistryRow.line,
                    UnplacedRegistryRow.place,
                    UnplacedRegistryRow.outcome,
                    UnplacedRegistryRow.cooperatives,
                    UnplacedRegistryRow.province_code,
                    UnplacedRegistryRow.registry_id,
                ).order_by(UnplacedRegistryRow.line)
            )
        ]


def test_a_summary_below_the_match_rate_is_refused_with_its_report_and_nothing_stored(
    villages: Database, tmp_path: Path
) -> None:
    job = import_now(villages, _summary(tmp_path / "s.csv", KALTIM))
    assert job.status == JobStatus.failed
    assert [(e["field"], e["code"]) for e in job.errors] == [("regency", "low_match_rate")]
    assert (
        "10 of 11 regency names matched (90.9%), below the minimum of 95.0%"
        in (job.errors[0]["message"])
    )
    report = job.reconciliation
    assert report is not None
    assert report["summary"]["levels"]["regency"]["match_rate"] == pytest.approx(10 / 11, 1e-5)
    assert report["summary"]["levels"]["province"]["match_rate"] == 1.0
    assert report["below_threshold"] == [{"level": "regency", "match_rate": 0.909091, "rows": 11}]
    [unknown] = report["decisions"]  # every regency name is an exact match but Fukuoka
    assert (unknown["line"], unknown["outcome"], unknown["code"]) == (12, "unknown", None)
    assert _warnings(job) == [(12, "regency", "place_unknown")]
    assert _crosswalk(villages) == {}
    assert _unplaced(villages) == []


def test_a_dry_run_reports_rates_and_every_decision_that_was_not_exact(
    villages: Database, tmp_path: Path
) -> None:
    rows = [*KALTIM[:7], ("355", "KOTA BALIK PAPAN", 34, 34, 34), *KALTIM[8:]]
    rows[5] = ("348", "KAB. PASIR", 144, 144, 133)  # one letter off: fuzzy
    job = import_now(villages, _summary(tmp_path / "s.csv", rows), dry_run=True, min_match_rate=0.9)
    assert job.status == JobStatus.succeeded, job.errors
    assert job.message == (
        "would place 1037 cooperatives of 10 rows in 10 regions; 1 rows (1 cooperatives)"
        " could not be placed; nothing was written"
    )
    assert job.reconciliation is not None
    decisions = {d["line"]: (d["outcome"], d["code"]) for d in job.reconciliation["decisions"]}
    # KOTA BALIK PAPAN (line 9) is an exact match (spacing is ignored): not listed.
    assert decisions == {7: ("matched_fuzzy", "64.01"), 12: ("unknown", None)}
    assert job.reconciliation["regions"]["64.72"] == {
        "rows": 1,
        "cooperatives": 59,
        "line": 11,
        "npwp_count": 58,
        "nib_count": 53,
    }
    assert _crosswalk(villages) == {}  # a dry run writes nothing
    assert _unplaced(villages) == []


def test_allowed_below_the_rate_the_summary_learns_the_crosswalk_and_records_the_unplaced(
    villages: Database, tmp_path: Path
) -> None:
    job = import_now(villages, _summary(tmp_path / "s.csv", KALTIM), allow_low_match=True)
    assert job.status == JobStatus.succeeded, job.errors
    assert _warnings(job) == [(None, "regency", "low_match_rate"), (12, "regency", "place_unknown")]
    assert job.counts == {
        "rows": 11,
        "placed_rows": 10,
        "placed_cooperatives": 1037,
        "unplaced_rows": 1,
        "unplaced_cooperatives": 1,
    }
    crosswalk = _crosswalk(villages)
    assert len(crosswalk) == 11  # the province and its ten regencies, by SIMKOPDES id
    assert crosswalk["province", "23"] == ("64", "matched")
    assert crosswalk["regency", "356"] == ("64.72", "matched")
    assert _unplaced(villages) == [(12, "KALIMANTAN TIMUR / Fukuoka", "unknown", 1, "64", None)]


def test_a_second_snapshot_reuses_the_crosswalk_by_id_whatever_the_spelling(
    villages: Database, tmp_path: Path
) -> None:
    first = import_now(villages, _summary(tmp_path / "1.csv", KALTIM, extra=False))
    assert first.status == JobStatus.succeeded, first.errors
    # The next snapshot respells two regencies beyond any rule; their ids still say which.
    respelled = [("349", "KUKAR", 240, 240, 160), ("356", "SMD", 60, 59, 54), *KALTIM[:2]]
    second = import_now(villages, _summary(tmp_path / "2.csv", respelled, extra=False))
    assert second.status == JobStatus.succeeded, second.errors
    assert second.reconciliation is not None
    decisions = {d["line"]: (d["outcome"], d["code"]) for d in second.reconciliation["decisions"]}
    assert decisions == {
        2: ("matched_crosswalk", "64.02"),
        3: ("matched_crosswalk", "64.72"),
        4: ("matched_crosswalk", "64.03"),
        5: ("matched_crosswalk", "64.07"),
    }
    assert second.reconciliation["regions"]["64.72"]["cooperatives"] == 60
    # The crosswalk keeps how each id was first decided.
    assert _crosswalk(villages)["regency", "349"] == ("64.02", "matched")


def test_an_override_wins_over_the_crosswalk_and_the_name(
    villages: Database, tmp_path: Path
) -> None:
    import_now(villages, _summary(tmp_path / "1.csv", KALTIM, extra=False))
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("source_id,code\n355,64.74\n", encoding="utf-8")
    rows = [("355", "KOTA BALIKPAPAN", 34, 34, 34)]
    job = import_now(villages, _summary(tmp_path / "2.csv", rows, extra=False), overrides=overrides)
    assert job.status == JobStatus.succeeded, job.errors
    assert job.reconciliation is not None
    [decision] = job.reconciliation["decisions"]
    assert (decision["outcome"], decision["code"], decision["level"]) == (
        "matched_override",
        "64.74",
        "regency",
    )
    assert set(job.reconciliation["regions"]) == {"64.74"}
    assert _crosswalk(villages)["regency", "355"] == ("64.74", "matched_override")


def test_a_bad_overrides_file_is_refused_naming_its_line(
    villages: Database, tmp_path: Path
) -> None:
    overrides = tmp_path / "overrides.csv"
    overrides.write_text("source_id,code\n355,64.7\n", encoding="utf-8")
    job = import_now(
        villages, _summary(tmp_path / "s.csv", KALTIM, extra=False), overrides=overrides
    )
    assert job.status == JobStatus.failed
    assert [(e["field"], e["code"]) for e in job.errors] == [("code", "bad_place_table")]
    assert "overrides.csv line 2" in job.errors[0]["message"]


LIST_COLUMNS = ["province", "regency", "district", "village", "registry_id", "name"]
LIST_COLUMNS += ["scheme", "stage"]


def _list_row(district: str, village: str, registry_id: str, **kw: str) -> dict[str, str]:
    return {
        "province": "KALIMANTAN TIMUR",
        "regency": "KOTA SAMARINDA",
        "district": district,
        "village": village,
        "registry_id": registry_id,
        "name": kw.pop("name", f"Koperasi Kelurahan Merah Putih {village.title()}"),
        "scheme": "new",
        "stage": kw.pop("stage", "legal_entity"),
        **kw,
    }


def test_a_name_keyed_list_places_cooperatives_mergers_and_shared_villages(
    villages: Database, tmp_path: Path
) -> None:
    rows = [
        _list_row("KEC. SAMARINDA UTARA", "KEL. LEMPAKE", "S-1"),
        _list_row("SAMARINDA UTARA", "SEMPAJA SELATAN", "S-2", name="Merger"),
        _list_row("SAMARINDA UTARA", "SEMPAJA UTARA", "S-2", name="Merger"),
        _list_row("SAMARINDA UTARA", "LEMPAKE", "S-3"),  # a second cooperative for Lempake
        _list_row("PALARAN", "TANAH MERAH", "S-4"),  # Tanah Merah is in Samarinda Utara
        _list_row("PALARAN", "TOKYO", "S-5"),
    ]
    path = write_rows(tmp_path / "list.csv", rows, LIST_COLUMNS)
    job = import_now(villages, path, min_match_rate=0.5)
    assert job.status == JobStatus.succeeded, job.errors
    assert job.counts["created"] == 3
    assert (job.counts["unplaced_rows"], job.counts["unplaced_cooperatives"]) == (2, 2)
    assert _warnings(job) == [
        (6, "village", "place_misfiled"),
        (7, "village", "place_unknown"),
        (5, "village_codes", "village_claimed_twice"),
    ]
    assert village_links(villages) == [
        ("S-1", "64.72.05.1003"),
        ("S-2", "64.72.05.1002"),
        ("S-2", "64.72.05.1010"),
        ("S-3", "64.72.05.1003"),
    ]
    assert [(u[0], u[2], u[5]) for u in _unplaced(villages)] == [
        (6, "misfiled", "S-4"),
        (7, "unknown", "S-5"),
    ]
    assert job.reconciliation is not None
    misfiled = next(d for d in job.reconciliation["decisions"] if d["line"] == 6)
    assert misfiled["candidates"].startswith("64.72.05.1011 Tanah Merah")
    assert "Samarinda Utara" in misfiled["reason"]


def test_rows_of_one_cooperative_that_disagree_are_an_error_naming_both_lines(
    villages: Database, tmp_path: Path
) -> None:
    rows = [
        _list_row("SAMARINDA UTARA", "SEMPAJA SELATAN", "S-2", name="Merger"),
        _list_row("SAMARINDA UTARA", "SEMPAJA UTARA", "S-2", name="Merger", stage="operational"),
    ]
    job = import_now(villages, write_rows(tmp_path / "list.csv", rows, LIST_COLUMNS))
    assert job.status == JobStatus.failed
    assert [(e["line"], e["field"], e["code"]) for e in job.errors] == [
        (3, "stage", "conflicting_rows")
    ]
    assert "S-2 is also on line 2" in job.errors[0]["message"]
    assert village_links(villages) == []


def _kopdes(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args], capture_output=True, text=True, timeout=120
    )


def test_the_cli_imports_a_summary_with_its_options_and_shows_the_reconciliation(
    villages: Database, worker: object, tmp_path: Path
) -> None:
    path = str(_summary(tmp_path / "s.csv", KALTIM))
    refused = _kopdes("import", "cooperatives", path, "--wait", "--json")
    assert refused.returncode == 1
    assert [e["code"] for e in json.loads(refused.stdout)["errors"]] == ["low_match_rate"]

    done = _kopdes("import", "cooperatives", path, "--wait", "--json", "--min-match-rate", "0.9")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"]["placed_cooperatives"] == 1037
    assert report["reconciliation"]["min_match_rate"] == 0.9

    shown = _kopdes("jobs", "show", str(report["id"]))
    assert shown.returncode == 0, shown.stderr
    assert "regency: 90.9% matched (matched 10, unknown 1)" in shown.stderr
    assert "line 12 unknown: KALIMANTAN TIMUR / Fukuoka" in shown.stderr
    as_csv = _kopdes("jobs", "show", str(report["id"]), "--decisions-csv", "-")
    assert as_csv.returncode == 0, as_csv.stderr
    [header, row] = list(csv.reader(as_csv.stdout.splitlines()))
    assert header[:5] == ["line", "place", "source_ids", "level", "outcome"]
    assert row[:5] == ["12", "KALIMANTAN TIMUR / Fukuoka", "23 / 9001", "regency", "unknown"]

    bad = _kopdes("import", "cooperatives", path, "--wait", "--source", "Not Valid")
    assert bad.returncode == 2
    assert "--source: 'Not Valid': lower-case letters" in bad.stderr


def test_the_decisions_csv_keeps_a_name_that_looks_like_a_formula_as_text() -> None:
    report = {
        "decisions": [
            {"line": 2, "place": "=HYPERLINK(1) / KAB. X", "outcome": "unknown", "score": None},
            {"line": 3, "place": "JAWA / -1", "outcome": "matched_fuzzy", "score": 90.0},
        ]
    }
    buffer = io.StringIO()
    assert write_decisions_csv(report, buffer) == 2
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    assert [(r["line"], r["place"], r["score"]) for r in rows] == [
        ("2", "'=HYPERLINK(1) / KAB. X", ""),
        ("3", "JAWA / -1", "90.0"),
    ]


def test_the_same_snapshot_twice_changes_nothing_the_second_time(
    villages: Database, tmp_path: Path
) -> None:
    from shared.data_version import get_state

    path = _summary(tmp_path / "s.csv", KALTIM)
    first = import_now(villages, path, allow_low_match=True)
    assert first.status == JobStatus.succeeded, first.errors
    with villages.sync_session() as session:
        before = get_state(session).data_version
    crosswalk, unplaced = _crosswalk(villages), _unplaced(villages)
    again = import_now(villages, path, allow_low_match=True)
    assert again.status == JobStatus.succeeded, again.errors
    assert again.message is not None
    assert again.message.endswith("; nothing changed (crosswalk and findings as stored)")
    with villages.sync_session() as session:
        assert get_state(session).data_version == before
        recorded = session.execute(select(UnplacedRegistryRow.job_id)).scalars().all()
    assert recorded == [first.id]  # still the first import's rows
    assert (_crosswalk(villages), _unplaced(villages)) == (crosswalk, unplaced)
    # A list too: the same cooperatives, crosswalk and findings write nothing.
    rows = [_list_row("SAMARINDA UTARA", "LEMPAKE", "S-1"), _list_row("PALARAN", "TOKYO", "S-5")]
    listed = write_rows(tmp_path / "list.csv", rows, LIST_COLUMNS)
    assert import_now(villages, listed, min_match_rate=0.5).status == JobStatus.succeeded
    second = import_now(villages, listed, min_match_rate=0.5)
    assert second.message == "nothing changed: all 1 rows match the stored data"
