"""Proposals import, financing readiness, the generated data sets and the import CLI."""

from __future__ import annotations

import csv
import hashlib
import json
from itertools import islice
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from shared.cooperatives.financing import (
    Requirement,
    assess,
    financing_ready_clause,
    requirement_clause,
)
from shared.db import Database
from shared.models import Cooperative, ImportJob, JobStatus, Proposal, ProposalStatus, RegionLevel
from shared.proposals.queries import counts_by_region
from shared.registry import datasets
from shared.registry.service import FileFormat, import_now
from tests.registry.support import coop, load_villages, write_rows


@pytest.fixture
def villages(db: Database) -> Database:
    load_villages(db)
    return db


def _proposals(db: Database, path: Path) -> ImportJob:
    return import_now(db, path, file_format=FileFormat.proposals)


def test_kaltim_proposals_are_counted_per_regency(villages: Database) -> None:
    job = import_now(villages, datasets.KALTIM_PROPOSALS, file_format=FileFormat.proposals)
    assert job.status == JobStatus.succeeded, job.errors
    with villages.sync_session() as session:
        counts = counts_by_region(session, RegionLevel.regency)
    assert {code: c["submitted"] for code, c in counts.items()} == {
        "64.01": 1,
        "64.08": 5,
        "64.72": 2,
        "64.02": 1,
        "64.03": 4,
        "64.09": 1,
    }
    again = import_now(villages, datasets.KALTIM_PROPOSALS, file_format=FileFormat.proposals)
    assert again.counts["unchanged"] == 14


def test_a_proposal_decision_is_upserted_and_formed_links_the_cooperative(
    villages: Database, tmp_path: Path
) -> None:
    import_now(villages, write_rows(tmp_path / "c.csv", [coop("64.01.01.2009", "R-1")]))
    row = {
        "proposal_id": "P-1",
        "region_code": "64.01.01",
        "proposed_name": "Koperasi baru",
        "village_codes": "64.01.01.2009",
        "status": "submitted",
        "submitted_on": "2025-07-01",
    }
    assert _proposals(villages, write_rows(tmp_path / "p1.csv", [row])).status == "succeeded"
    formed = {
        **row,
        "status": "formed",
        "decided_on": "2025-07-10",
        "decided_by": "Bupati Paser",
        "cooperative_registry_id": "R-1",
    }
    job = _proposals(villages, write_rows(tmp_path / "p2.csv", [formed]))
    assert job.counts == {"rows": 1, "created": 0, "updated": 1, "unchanged": 0}
    with villages.sync_session() as session:
        proposal = session.execute(select(Proposal)).scalar_one()
        assert proposal.status == ProposalStatus.formed
        assert proposal.cooperative_id is not None
        assert (proposal.regency_code, proposal.district_code) == ("64.01", "64.01.01")
        assert proposal.decided_by == "Bupati Paser"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"region_code": "64"}, ("region_code", "bad_region_code")),
        ({"region_code": "64.99"}, ("region_code", "unknown_region")),
        ({"status": "formed"}, ("cooperative_registry_id", "required")),
        ({"status": "maybe"}, ("status", "bad_status")),
        ({"village_codes": "64.02.01.2001"}, ("village_codes", "village_outside_region")),
        (
            {"submitted_on": "2025-07-02", "decided_on": "2025-07-01"},
            ("decided_on", "decided_before_submitted"),
        ),
    ],
)
def test_a_bad_proposal_row_is_reported_and_nothing_is_written(
    villages: Database, tmp_path: Path, fields: dict[str, str], expected: tuple[str, str]
) -> None:
    good = {
        "proposal_id": "P-0",
        "region_code": "64.01",
        "proposed_name": "A",
        "status": "submitted",
    }
    bad = {**good, "proposal_id": "P-1", **fields}
    job = _proposals(villages, write_rows(tmp_path / "p.csv", [good, bad]))
    assert job.status == JobStatus.failed
    assert [(e["line"], e["field"], e["code"]) for e in job.errors] == [(3, *expected)]
    with villages.sync_session() as session:
        assert session.execute(select(Proposal)).first() is None


def test_a_proposal_id_twice_names_both_rows(villages: Database, tmp_path: Path) -> None:
    row = {
        "proposal_id": "P-1",
        "region_code": "64.01",
        "proposed_name": "A",
        "status": "submitted",
    }
    job = _proposals(villages, write_rows(tmp_path / "p.csv", [row, row]))
    assert [(e["line"], e["code"]) for e in job.errors] == [(3, "duplicate_proposal_id")]
    assert "line 2" in job.errors[0]["message"]


def test_financing_readiness_agrees_in_python_and_sql(villages: Database, tmp_path: Path) -> None:
    full = {
        "sk_ahu_number": "A",
        "nik_koperasi": "N",
        "npwp": "T",
        "nib": "B",
        "bank_account_number": "0001",
        "business_proposal_approved_on": "2025-07-01",
    }
    codes = ["64.01.01.2009", "64.01.01.2010", "64.01.01.2011", "64.01.01.2012"]
    rows = [
        coop(codes[0], "ready", **full),
        coop(
            codes[1],
            "no-npwp",
            **{**full, "npwp": "", "sk_ahu_number": "A2", "nik_koperasi": "N2", "nib": "B2"},
        ),
        coop(codes[2], "bare"),
        coop(
            codes[3],
            "no-proposal",
            **{
                **full,
                "business_proposal_approved_on": "",
                "sk_ahu_number": "A3",
                "nik_koperasi": "N3",
                "nib": "B3",
                "npwp": "T3",
            },
        ),
    ]
    assert import_now(villages, write_rows(tmp_path / "r.csv", rows)).status == "succeeded"
    with villages.sync_session() as session:
        coops = {c.registry_id: c for c in session.execute(select(Cooperative)).scalars()}
        ready_sql = set(
            session.execute(
                select(Cooperative.registry_id).where(financing_ready_clause())
            ).scalars()
        )
        not_ready_sql = set(
            session.execute(
                select(Cooperative.registry_id).where(financing_ready_clause(ready=False))
            ).scalars()
        )
        for requirement in Requirement:
            met_sql = set(
                session.execute(
                    select(Cooperative.registry_id).where(requirement_clause(requirement))
                ).scalars()
            )
            met_py = {rid for rid, c in coops.items() if requirement in assess(c).met}
            assert met_sql == met_py, requirement
    assert ready_sql == {rid for rid, c in coops.items() if assess(c).ready} == {"ready"}
    assert not_ready_sql == {"no-npwp", "bare", "no-proposal"}
    assert assess(coops["no-npwp"]).missing == (Requirement.npwp,)
    assert assess(coops["no-proposal"]).missing == (Requirement.business_proposal,)
    assert len(assess(coops["bare"]).missing) == len(Requirement)


def test_the_committed_kaltim_files_are_what_the_generator_writes(
    repo_root: Path, tmp_path: Path
) -> None:
    villages = datasets.read_villages(repo_root / "tests/data/wilayah/2025-64", province="64")
    names = datasets.read_regency_names(repo_root / "tests/data/wilayah/2025-64")
    registry = tmp_path / "cooperatives.csv"
    proposals = tmp_path / "proposals.csv"
    datasets.write_csv(datasets.kaltim_registry(villages), registry, datasets.REGISTRY_COLUMNS)
    datasets.write_csv(datasets.kaltim_proposals(names), proposals, datasets.PROPOSAL_COLUMNS)
    assert registry.read_bytes() == datasets.KALTIM_REGISTRY.read_bytes()
    assert proposals.read_bytes() == datasets.KALTIM_PROPOSALS.read_bytes()
    with datasets.KALTIM_REGISTRY.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1037
    mockups = {r["village_codes"]: r["outlets"] for r in rows if r["is_mockup"] == "true"}
    assert set(mockups) == {"64.72.05.1003", "64.01.03.2006"}
    merger = [r for r in rows if ";" in r["village_codes"]]
    assert [(m["village_codes"], m["name"]) for m in merger] == [
        ("64.03.04.2012;64.03.04.2013", "Koperasi Desa Merah Putih Sindu Batu Raja")
    ]


def test_the_national_generator_keeps_the_national_shares_and_is_deterministic() -> None:
    # A synthetic list with the national village count (the real one is not read in tests).
    villages = [
        datasets.Village(
            f"{11 + p:02d}.{1 + r:02d}.{1 + d:02d}.{(1 if (p + v) % 9 == 0 else 2)}{v:03d}",
            f"V{p}-{r}-{d}-{v}",
            "kelurahan" if (p + v) % 9 == 0 else "desa",
        )
        for p in range(38)
        for r in range(14)
        for d in range(16)
        for v in range(10)
    ][: datasets.NATIONAL_VILLAGES]
    assert len(villages) == datasets.NATIONAL_VILLAGES
    rows = list(datasets.national_registry(villages, seed=7))
    assert len(rows) == 83_404
    assert sum(1 for r in rows if r.get("sk_ahu_number")) == 83_382
    assert sum(1 for r in rows if r.get("npwp")) == 80_978
    assert sum(1 for r in rows if r.get("nib")) == 60_807
    assert sum(r["member_count"] for r in rows) == 1_815_199
    assert sum(1 for r in rows if ";" in r["village_codes"]) == datasets.NATIONAL_MERGERS
    covered = [c for r in rows for c in r["village_codes"].split(";")]
    assert len(covered) == len(set(covered))

    def digest(seed: int) -> str:
        first = islice(datasets.national_registry(villages, seed=seed), 500)
        return hashlib.sha256(json.dumps(list(first), sort_keys=True).encode()).hexdigest()

    assert digest(7) == digest(7)
    assert digest(7) != digest(8)


def test_national_proposals_import_cleanly_with_every_decision(
    villages: Database, tmp_path: Path
) -> None:
    from shared.models import Region

    with villages.sync_session() as session:
        listed = [
            datasets.Village(code, name, kind.value if kind else "desa")
            for code, name, kind in session.execute(
                select(Region.code, Region.name, Region.kind).where(
                    Region.level == RegionLevel.village
                )
            )
        ]
    path = tmp_path / "proposals.csv"
    rows = list(datasets.national_proposals(listed, seed=3))
    assert rows == list(datasets.national_proposals(listed, seed=3))  # deterministic
    n = datasets.write_csv(rows, path, datasets.PROPOSAL_COLUMNS)
    job = _proposals(villages, path)
    assert job.status is JobStatus.succeeded, job.errors
    assert job.counts["created"] == n
    with villages.sync_session() as session:
        stored = session.execute(select(Proposal.status, Proposal.decided_on)).all()
    assert len(stored) == n
    assert {status for status, _ in stored} == {
        ProposalStatus.submitted, ProposalStatus.approved, ProposalStatus.rejected,
    }  # fmt: skip
    assert all(
        (decided is None) == (status is ProposalStatus.submitted) for status, decided in stored
    )
    # Mostly by regency, as in Kaltim's announcement; some districts propose too.
    assert {len(r["region_code"]) for r in rows} >= {5, 8}


def test_the_import_cli_prints_a_json_report_and_fails_on_errors(
    villages: Database, worker: object, tmp_path: Path
) -> None:
    import cli.registry  # noqa: F401  (registers the commands)
    from cli.app import app

    good = write_rows(tmp_path / "good.csv", [coop("64.01.01.2009")])
    bad = write_rows(tmp_path / "bad.csv", [coop("64.01.01.2010", stage="later")])
    runner = CliRunner()

    ok = runner.invoke(app, ["import", "cooperatives", str(good), "--wait", "--json"])
    assert ok.exit_code == 0, ok.output
    report = json.loads(ok.stdout)
    assert report["status"] == "succeeded"
    assert report["counts"]["created"] == 1

    failed = runner.invoke(app, ["import", "cooperatives", str(bad), "--wait", "--json"])
    assert failed.exit_code == 1
    report = json.loads(failed.stdout)
    assert report["status"] == "failed"
    assert report["error_count"] == 1
    assert report["errors"] == [
        {
            "line": 2,
            "field": "stage",
            "code": "bad_stage",
            "message": report["errors"][0]["message"],
        }
    ]

    queued = runner.invoke(app, ["import", "cooperatives", str(good), "--json"])
    assert queued.exit_code == 0, queued.output
    # Without Redis the command runs its job to the end all the same (its in-memory queue
    # would die with it); with Redis it leaves it to the workers.
    expected = "succeeded" if villages.settings.embedded else "queued"
    assert json.loads(queued.stdout)["status"] == expected
