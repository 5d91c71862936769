"""Coverage recalculation over the national data set, beside one hand-written aggregate query.

    KOPDES_DATABASE_URL=postgresql://... python -m benchmarks.coverage [--load] [--runs 5]

``--load`` first loads the national data set (``kopdes demo national``: the bundled official
list if absent, then ~83,400 generated cooperatives). Then, in the same run and on the same
tables, it times:

* the full recalculation (``shared.coverage.service.recompute``: the nation, every province,
  regency and district, written to ``coverage_figures`` plus a snapshot, committed; village
  figures are read live and not stored), and
* one hand-written query computing the same province and regency figures (every measure:
  villages, funnel, cooperatives at their home village, KDMP/KKMP, mergers, mockups, outlets
  by type, proposals by status) with GROUPING SETS, read back to the client.

It then checks that both give the same figures for every province and regency.

Targets: the recalculation at most 1 s, and at most 2x the hand-written query.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from typing import Any

from sqlalchemy import func, select, text

from shared.coverage.service import recompute
from shared.db import Database, get_database
from shared.models import (
    COVERAGE_COLUMNS,
    Cooperative,
    CoverageFigure,
    OutletType,
    Region,
    RegionLevel,
)

# The same province and regency figures as the recalculation's, hand-written for this one
# job: village measures, cooperatives at their home (lowest-code) village, mergers, mockups,
# outlets by type and proposals by status. The benchmark checks that both agree.
HAND_WRITTEN = """
WITH coop AS (
    SELECT cv.cooperative_id, MIN(r.code) AS home, COUNT(*) AS villages
    FROM cooperative_villages cv JOIN regions r ON r.id = cv.village_id
    GROUP BY cv.cooperative_id
),
outlet AS (
    SELECT cooperative_id,
           COUNT(*) FILTER (WHERE type = 'grocery') AS grocery,
           COUNT(*) FILTER (WHERE type = 'pharmacy') AS pharmacy,
           COUNT(*) FILTER (WHERE type = 'office') AS office,
           COUNT(*) FILTER (WHERE type = 'savings_loans') AS savings_loans,
           COUNT(*) FILTER (WHERE type = 'clinic') AS clinic,
           COUNT(*) FILTER (WHERE type = 'cold_storage') AS cold_storage,
           COUNT(*) FILTER (WHERE type = 'logistics') AS logistics
    FROM outlets WHERE status <> 'closed' GROUP BY cooperative_id
),
village AS (
    SELECT v.province_code AS p, v.regency_code AS rg,
        COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL) AS active_villages,
        COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL AND v.kind = 'desa') AS desa_count,
        COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL AND v.kind = 'kelurahan')
            AS kelurahan_count,
        COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL) AS covered_villages,
        COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL AND c.stage_rank >= 1)
            AS covered_formed,
        COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL AND c.stage_rank >= 3)
            AS covered_legal_entity,
        COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL AND c.stage_rank >= 7)
            AS covered_operational,
        COUNT(c.id) FILTER (WHERE co.home = v.code) AS cooperatives,
        COUNT(c.id) FILTER (WHERE co.home = v.code AND c.kind = 'KDMP') AS kdmp,
        COUNT(c.id) FILTER (WHERE co.home = v.code AND c.kind = 'KKMP') AS kkmp,
        COUNT(c.id) FILTER (WHERE co.home = v.code AND co.villages > 1) AS mergers,
        COUNT(c.id) FILTER (WHERE co.home = v.code AND c.is_mockup) AS mockups,
        COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NOT NULL)
            AS retired_villages_with_cooperatives,
        SUM(o.grocery) FILTER (WHERE co.home = v.code) AS grocery,
        SUM(o.pharmacy) FILTER (WHERE co.home = v.code) AS pharmacy,
        SUM(o.office) FILTER (WHERE co.home = v.code) AS office,
        SUM(o.savings_loans) FILTER (WHERE co.home = v.code) AS savings_loans,
        SUM(o.clinic) FILTER (WHERE co.home = v.code) AS clinic,
        SUM(o.cold_storage) FILTER (WHERE co.home = v.code) AS cold_storage,
        SUM(o.logistics) FILTER (WHERE co.home = v.code) AS logistics
    FROM regions v
    LEFT JOIN cooperative_villages cv ON cv.village_id = v.id
    LEFT JOIN cooperatives c ON c.id = cv.cooperative_id
    LEFT JOIN coop co ON co.cooperative_id = cv.cooperative_id
    LEFT JOIN outlet o ON o.cooperative_id = cv.cooperative_id
    WHERE v.level = 'village'
    GROUP BY GROUPING SETS ((v.province_code), (v.regency_code))
),
proposal AS (
    SELECT r.province_code AS p,
           CASE WHEN r.level = 'regency' THEN r.code ELSE r.regency_code END AS rg,
           COUNT(*) AS proposals_total,
           COUNT(*) FILTER (WHERE pr.status = 'submitted') AS proposals_submitted,
           COUNT(*) FILTER (WHERE pr.status = 'approved') AS proposals_approved,
           COUNT(*) FILTER (WHERE pr.status = 'rejected') AS proposals_rejected,
           COUNT(*) FILTER (WHERE pr.status = 'formed') AS proposals_formed
    FROM proposals pr JOIN regions r ON r.id = pr.region_id
    GROUP BY GROUPING SETS ((1), (2))
)
SELECT COALESCE(v.rg, v.p) AS scope_code, v.*,
       COALESCE(pp.proposals_total, 0) AS proposals_total,
       COALESCE(pp.proposals_submitted, 0) AS proposals_submitted,
       COALESCE(pp.proposals_approved, 0) AS proposals_approved,
       COALESCE(pp.proposals_rejected, 0) AS proposals_rejected,
       COALESCE(pp.proposals_formed, 0) AS proposals_formed
FROM village v
LEFT JOIN proposal pp ON pp.p IS NOT DISTINCT FROM v.p AND pp.rg IS NOT DISTINCT FROM v.rg
"""

COMPARED = COVERAGE_COLUMNS  # every counted measure; outlets are compared apart


def _disagreements(db: Database, hand: list[Any]) -> list[str]:
    """Where the hand-written figures differ from the recalculation's (an empty list: none)."""
    with db.sync_session() as session:
        ours = {
            f.scope_code: f
            for f in session.scalars(
                select(CoverageFigure).where(CoverageFigure.level.in_(("province", "regency")))
            )
        }
    found = []
    for row in hand:
        values = row._mapping
        figure = ours.get(values["scope_code"])
        if figure is None:
            found.append(f"{values['scope_code']}: not in the recalculation's figures")
            continue
        for name in COMPARED:
            if int(values[name] or 0) != getattr(figure, name):
                found.append(
                    f"{figure.scope_code} {name}: {values[name]} vs {getattr(figure, name)}"
                )
        outlets = {t.value: int(values[t.value] or 0) for t in OutletType if values[t.value]}
        if outlets != figure.outlets:
            found.append(f"{figure.scope_code} outlets: {outlets} vs {figure.outlets}")
    return found


def _timed(fn: object, runs: int) -> list[float]:
    assert callable(fn)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load", action="store_true", help="load the national data set first")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = get_database()
    if db.settings.is_sqlite:
        print("note: the targets are for PostgreSQL; this is SQLite", file=sys.stderr)
    if args.load:
        subprocess.run(
            [sys.executable, "-m", "cli", "demo", "national", "--no-recompute"], check=True
        )
    with db.sync_session() as session:
        villages = session.execute(
            select(func.count()).where(Region.level == RegionLevel.village)
        ).scalar_one()
        coops = session.execute(select(func.count()).select_from(Cooperative)).scalar_one()
    backend = db.settings.sync_database_url.get_backend_name()
    print(f"data: {villages} villages, {coops} cooperatives ({backend})")

    scopes = 0

    def recalculation() -> None:
        nonlocal scopes
        with db.transaction() as session:
            scopes = recompute(session).regions

    rows: list[Any] = []

    def hand_written() -> None:
        nonlocal rows
        with db.sync_engine.connect() as conn:
            # The recalculation's own memory setting, so neither spills to disk.
            conn.execute(text("SET work_mem = '64MB'"))
            rows = list(conn.execute(text(HAND_WRITTEN)).all())

    if db.settings.is_sqlite:
        # The hand-written query is PostgreSQL's (GROUPING SETS, FILTER): time ours alone.
        recalculation()
        times = _timed(recalculation, args.runs)
        median = statistics.median(times)
        print(
            f"recalculation: {scopes} scopes (nation..district), median"
            f" {median:.3f}s (min {min(times):.3f}s) over {args.runs} runs"
        )
        # The 2x comparison needs PostgreSQL; the 1 s target holds here too.
        missed = [f"recalculation {median:.3f}s > 1 s"] if median > 1 else []
        print("all targets met" if not missed else "TARGET MISSED: " + "; ".join(missed))
        return 1 if missed else 0

    # Warm both (caches, plans), then alternate so neither profits from the other's order.
    recalculation()
    hand_written()
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(args.runs):
        ours += _timed(recalculation, 1)
        theirs += _timed(hand_written, 1)
    ours_median = statistics.median(ours)
    theirs_median = statistics.median(theirs)
    ratio = ours_median / theirs_median
    print(
        f"recalculation: {scopes} scopes (nation..district), median {ours_median:.3f}s"
        f" (min {min(ours):.3f}s, max {max(ours):.3f}s) over {args.runs} runs"
    )
    print(
        f"hand-written province+regency query: {len(rows)} rows, median {theirs_median:.3f}s"
        f" (min {min(theirs):.3f}s, max {max(theirs):.3f}s)"
    )
    disagreements = _disagreements(db, rows)
    print(
        f"figures compared: {len(rows)} provinces and regencies,"
        f" {len(disagreements)} disagreement(s)"
    )
    for line in disagreements[:20]:
        print(f"  {line}")
    print(
        f"ratio {ratio:.2f}x; targets: <= 1 s {'met' if ours_median <= 1 else 'MISSED'},"
        f" <= 2x {'met' if ratio <= 2 else 'MISSED'}"
    )
    missed = [
        what
        for what, miss in (
            (f"recalculation {ours_median:.3f}s > 1 s", ours_median > 1),
            (f"ratio {ratio:.2f}x > 2x the hand-written query", ratio > 2),
            (f"{len(disagreements)} figures disagree", bool(disagreements)),
        )
        if miss
    ]
    print("all targets met" if not missed else "TARGET MISSED: " + "; ".join(missed))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
