"""The Kaltim reference case: after `kopdes demo kaltim` the figures are the announced ones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from typer.testing import CliRunner

from shared.coverage.service import village_figures
from shared.db import Database
from shared.models import JobStatus
from shared.registry.datasets import KALTIM_PROPOSALS, KALTIM_REGISTRY
from shared.registry.service import FileFormat, start_cooperative_import
from tests.registry.support import load_villages, wait_until_fresh
from tests.support import wait_for_job

# DOMAIN.md: villages and cooperatives per regency (Berau: a merger of two villages).
REGENCIES = {
    "64.01": (144, 144),
    "64.02": (237, 237),
    "64.03": (110, 109),
    "64.07": (194, 194),
    "64.08": (141, 141),
    "64.09": (54, 54),
    "64.11": (50, 50),
    "64.71": (34, 34),
    "64.72": (59, 59),
    "64.74": (15, 15),
}
PROPOSALS = {"64.01": 1, "64.08": 5, "64.72": 2, "64.02": 1, "64.03": 4, "64.09": 1}


def _figures(db: Database) -> dict[str, dict[str, Any]]:
    with db.sync_session() as session:
        rows = session.execute(
            text("SELECT * FROM coverage_figures WHERE level IN ('nation', 'province', 'regency')")
        ).mappings()
        return {row["scope_code"]: dict(row) for row in rows}


def _assert_kaltim(db: Database) -> None:
    figures = _figures(db)
    province = figures["64"]
    assert province["active_villages"] == 1038
    assert province["desa_count"] == 841
    assert province["kelurahan_count"] == 197
    assert province["covered_villages"] == 1038
    assert province["coverage_percent"] == 100.0
    assert province["cooperatives"] == 1037
    assert (province["kdmp"], province["kkmp"]) == (840, 197)
    assert province["mergers"] == 1
    assert province["mockups"] == 2
    assert province["proposals_total"] == 14
    assert province["proposals_submitted"] == 14
    assert province["covered_legal_entity"] == 1038
    assert province["covered_operational"] == 2
    outlets = province["outlets"]
    if isinstance(outlets, str):
        import json

        outlets = json.loads(outlets)
    assert outlets["grocery"] == outlets["savings_loans"] == outlets["logistics"] == 2
    for code, (villages, coops) in REGENCIES.items():
        regency = figures[code]
        assert (regency["active_villages"], regency["cooperatives"]) == (villages, coops), code
        assert regency["covered_villages"] == villages, code
        assert regency["proposals_total"] == PROPOSALS.get(code, 0), code
    assert figures[""]["cooperatives"] == 1037
    assert figures[""]["data_version"] == province["data_version"]


def test_demo_kaltim_then_recalculation_gives_the_announced_figures(db: Database) -> None:
    import cli.registry  # noqa: F401  (registers the commands)
    from cli.app import app

    load_villages(db)  # province 64 only; the demo loads the bundled list when none is there
    result = CliRunner().invoke(app, ["demo", "kaltim"])
    assert result.exit_code == 0, result.output

    _assert_kaltim(db)
    with db.sync_session() as session:
        codes = list(
            session.execute(
                text("SELECT code FROM regions WHERE level = 'village' AND province_code = '64'")
            ).scalars()
        )
        villages = village_figures(session, codes)
    assert len(villages) == 1038
    # Village figures (read live) add up to the province's (recalculated).
    province = _figures(db)["64"]
    for measure in ("active_villages", "covered_villages", "cooperatives", "kdmp", "kkmp",
                    "mergers", "mockups", "covered_operational"):  # fmt: skip
        assert sum(getattr(f, measure) for f in villages.values()) == province[measure], measure
    assert {f.coverage_percent for f in villages.values()} == {100.0}
    # The merger counts once, at its home village (the lower code); both villages are covered.
    merger = [villages["64.03.04.2012"], villages["64.03.04.2013"]]
    assert [(f.covered_villages, f.cooperatives, f.mergers) for f in merger] == [
        (1, 1, 1),
        (1, 0, 0),
    ]
    mockup_outlets = [f.outlets for f in villages.values() if f.mockups]
    assert len(mockup_outlets) == 2, mockup_outlets
    assert all(mockup_outlets), mockup_outlets

    again = CliRunner().invoke(app, ["demo", "kaltim"])
    assert again.exit_code == 0, again.output
    assert "nothing changed" in again.output
    _assert_kaltim(db)


def test_kaltim_imports_through_the_worker_refresh_coverage_on_their_own(
    db: Database, worker: object
) -> None:
    load_villages(db)
    registry = start_cooperative_import(db, KALTIM_REGISTRY)
    proposals = start_cooperative_import(db, KALTIM_PROPOSALS, file_format=FileFormat.proposals)
    for job_id in (registry.id, proposals.id):
        job = wait_for_job(db, job_id)
        assert job.status == JobStatus.succeeded, (job.message, job.errors)

    state = wait_until_fresh(db)

    _assert_kaltim(db)
    assert _figures(db)["64"]["data_version"] == state.data_version
