"""Coverage recalculation over the national data set, beside one hand-written aggregate query.

    KOPDES_DATABASE_URL=postgresql://... python -m benchmarks.coverage [--load] [--runs 5]

``--load`` first loads the national data set (``kopdes demo national``: the bundled official
list if absent, then ~83,400 generated cooperatives). Then, in the same run and on the same
tables, it times:

* the full recalculation (``shared.coverage.service.recompute``: every level from nation to
  village, written to ``coverage_figures`` plus a snapshot, committed), and
* one hand-written query computing the province and regency figures (villages, desa,
  kelurahan, covered, legal entity, operational, cooperatives, KDMP, KKMP) with GROUPING SETS,
  read back to the client.

Targets: the recalculation at most 1 s, and at most 2x the hand-written query.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from sqlalchemy import func, select, text

from shared.coverage.service import recompute
from shared.db import get_database
from shared.models import Cooperative, Region, RegionLevel

HAND_WRITTEN = """
SELECT v.province_code, v.regency_code,
       COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL) AS active_villages,
       COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL AND v.kind = 'desa') AS desa,
       COUNT(*) FILTER (WHERE v.retired_edition_id IS NULL AND v.kind = 'kelurahan') AS kelurahan,
       COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL) AS covered,
       COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL AND c.stage_rank >= 3) AS legal,
       COUNT(c.id) FILTER (WHERE v.retired_edition_id IS NULL AND c.stage_rank >= 7) AS operational,
       COUNT(DISTINCT c.id) AS cooperatives,
       COUNT(DISTINCT c.id) FILTER (WHERE c.kind = 'KDMP') AS kdmp,
       COUNT(DISTINCT c.id) FILTER (WHERE c.kind = 'KKMP') AS kkmp
FROM regions v
LEFT JOIN cooperative_villages cv ON cv.village_id = v.id
LEFT JOIN cooperatives c ON c.id = cv.cooperative_id
WHERE v.level = 'village'
GROUP BY GROUPING SETS ((v.province_code), (v.regency_code))
"""


def _timed(fn: object, runs: int) -> list[float]:
    assert callable(fn)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load", action="store_true", help="load the national data set first")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = get_database()
    if db.settings.is_sqlite:
        print("note: the targets are for PostgreSQL; this is SQLite", file=sys.stderr)
    if args.load:
        subprocess.run(
            [sys.executable, "-m", "shared.cli", "demo", "national", "--no-recompute"], check=True
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

    rows = 0

    def hand_written() -> None:
        nonlocal rows
        with db.sync_engine.connect() as conn:
            rows = len(conn.execute(text(HAND_WRITTEN)).all())

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
        f"recalculation: {scopes} scopes (nation..village), median {ours_median:.3f}s"
        f" (min {min(ours):.3f}s, max {max(ours):.3f}s) over {args.runs} runs"
    )
    print(
        f"hand-written province+regency query: {rows} rows, median {theirs_median:.3f}s"
        f" (min {min(theirs):.3f}s, max {max(theirs):.3f}s)"
    )
    print(
        f"ratio {ratio:.2f}x; targets: <= 1 s {'met' if ours_median <= 1 else 'MISSED'},"
        f" <= 2x {'met' if ratio <= 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
