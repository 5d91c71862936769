"""The national cooperative export in every format, and the change feed's cost on the
national registry import.

    KOPDES_DATABASE_URL=postgresql://postgres@127.0.0.1/kopdes_bench_partners \\
        python -m benchmarks.export [--load] [--formats CSV,NDJSON,XLSX,PARQUET] [--no-feed]

``--load`` migrates the database and loads the national set (``kopdes demo national``).

* **Feed cost.** The cooperative tables are emptied and the national registry file (83,404
  cooperatives over the 2025 list) imported again, in this process, with the step that adds
  its change-feed events (``shared.registry.apply.announce``, one COPY of 83,404 events)
  timed on its own: its share of the rest of the import is the feed's cost. Target <= 20 %.
* **Exports.** Each cooperative gets a board of three officers (set-based, once), then each
  format is exported by a child process (``kopdes export``'s path: one read snapshot streamed
  into a file, stored in the database's file store): time, rows per second and the child's
  peak RSS. Targets for CSV and NDJSON: under 10 s and under 300 MB.

Exits non-zero when a target is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from shared.db import Database, get_database
from shared.models import Cooperative, Officer, Region, RegionLevel

TIME_TARGET_S = 10.0
RSS_TARGET_MB = 300.0
FEED_TARGET = 0.20
TARGETED = ("CSV", "NDJSON")
COOPERATIVE_TABLES = (
    "officers",
    "member_counts",
    "outlets",
    "stage_events",
    "cooperative_villages",
    "proposal_villages",
    "proposals",
    "cooperatives",
    "change_events",
)


def _kopdes(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("kopdes")), *args], check=True)


def _national_file(db: Database, folder: Path) -> Path:
    from shared.registry.datasets import REGISTRY_COLUMNS, Village, national_registry, write_csv

    with db.sync_session() as session:
        villages = [
            Village(code, name, kind.value if kind else "desa")
            for code, name, kind in session.execute(
                select(Region.code, Region.name, Region.kind).where(
                    Region.level == RegionLevel.village, Region.retired_edition_id.is_(None)
                )
            )
        ]
    path = folder / "national-bench.csv"
    write_csv(national_registry(villages), path, REGISTRY_COLUMNS)
    return path


def feed_cost(db: Database) -> dict[str, float]:
    """Re-import the national registry, timing the change-feed step on its own."""
    from shared.registry import flow
    from shared.registry.service import import_now

    folder = Path("var")
    folder.mkdir(exist_ok=True)
    path = _national_file(db, folder)
    with db.sync_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(COOPERATIVE_TABLES)} RESTART IDENTITY CASCADE"))
        conn.execute(text("ANALYZE"))
    steps = flow._STEPS[flow.FileFormat.registry]
    spent: list[float] = []

    def timed(session: Any, found: Any) -> None:
        started = time.perf_counter()
        steps.announce(session, found)
        spent.append(time.perf_counter() - started)

    flow._STEPS[flow.FileFormat.registry] = dataclasses.replace(steps, announce=timed)
    started = time.perf_counter()
    try:
        job = import_now(db, path)
    finally:
        flow._STEPS[flow.FileFormat.registry] = steps
    total = time.perf_counter() - started
    assert job.status == "succeeded", job.message
    with db.sync_session() as session:
        events = session.execute(text("SELECT count(*) FROM change_events")).scalar_one()
    announce = spent[0]
    return {
        "cooperatives": float(job.counts["created"]),
        "events": float(events),
        "import_s": total,
        "feed_s": announce,
        "share": announce / (total - announce),
    }


def ensure_officers(db: Database) -> int:
    """A chair, a treasurer and a supervisor for every cooperative (set-based, once)."""
    with db.transaction() as session:
        have = session.execute(select(func.count()).select_from(Officer)).scalar_one()
        if have:
            return int(have)
        for role, name in (
            ("chair", "Ketua"),
            ("treasurer", "Bendahara"),
            ("supervisor", "Pengawas"),
        ):
            session.execute(
                text(
                    "INSERT INTO officers (cooperative_id, role, name, term_start, term_end)"
                    " SELECT id, :role, :name || ' ' || id, DATE '2025-07-01', DATE '2030-06-30'"
                    " FROM cooperatives"
                ),
                {"role": role, "name": name},
            )
        session.execute(text("ANALYZE officers"))
        return int(session.execute(select(func.count()).select_from(Officer)).scalar_one())


def child(file_format: str) -> None:
    """One export in this process; prints its figures as JSON."""
    from shared.audit import Actor
    from shared.exports import service
    from shared.exports.datasets import Dataset
    from shared.exports.flow import export_now
    from shared.exports.formats import Format

    db = get_database()
    request = service.checked(Dataset.COOPERATIVES, Format(file_format))
    with db.transaction() as session:
        created = service.create_export(session, Actor(name="benchmark"), request)
    started = time.perf_counter()
    job = export_now(db, created.id)
    seconds = time.perf_counter() - started
    assert job.status == "succeeded", job.message
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report its
    # parent's peak (the feed measurement's import) instead of its own.
    status = Path("/proc/self/status").read_text()
    peak_kb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))
    manifest = job.counts["manifest"]
    print(
        json.dumps(
            {
                "rows": manifest["row_count"],
                "bytes": manifest["bytes"],
                "seconds": seconds,
                "rss_mb": peak_kb / 1024,
                "timings": job.timings,
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load", action="store_true", help="migrate and load the national set")
    parser.add_argument("--formats", default="CSV,NDJSON,XLSX,PARQUET")
    parser.add_argument("--no-feed", action="store_true", help="skip the feed-cost measurement")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    db = get_database()
    if db.settings.is_sqlite:
        print("use PostgreSQL: KOPDES_DATABASE_URL=postgresql://...", file=sys.stderr)
        return 2
    if args.load:
        _kopdes("db", "upgrade")
        _kopdes("demo", "national")
    misses: list[str] = []
    if not args.no_feed:
        cost = feed_cost(db)
        print(
            f"feed: {cost['events']:,.0f} events for {cost['cooperatives']:,.0f} cooperatives;"
            f" import {cost['import_s']:.2f} s, of which the feed {cost['feed_s']:.2f} s ="
            f" {cost['share']:.1%} of the rest (target <= {FEED_TARGET:.0%})"
        )
        if cost["share"] > FEED_TARGET:
            misses.append(f"feed cost {cost['share']:.1%}")
    with db.sync_session() as session:
        cooperatives = session.execute(select(func.count()).select_from(Cooperative)).scalar_one()
    officers = ensure_officers(db)
    print(f"exporting {cooperatives:,} cooperatives with {officers:,} officers")
    print(f"{'format':<8} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'MB out':>7}  target")
    for file_format in args.formats.split(","):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.export", "--child", file_format],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"{file_format:<8} failed:\n{done.stderr}", file=sys.stderr)
            misses.append(f"{file_format} failed")
            continue
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        targeted = file_format in TARGETED
        ok = figures["seconds"] < TIME_TARGET_S and figures["rss_mb"] < RSS_TARGET_MB
        verdict = ("ok" if ok else "MISSED") if targeted else "(none)"
        rate = figures["rows"] / figures["seconds"]
        print(
            f"{file_format:<8} {figures['seconds']:>8.2f} {rate:>9,.0f}"
            f" {figures['rss_mb']:>8.0f} {figures['bytes'] / 1e6:>7.1f}  {verdict}"
        )
        if targeted and not ok:
            misses.append(f"{file_format} {figures['seconds']:.1f} s, {figures['rss_mb']:.0f} MB")
        if figures["rows"] != cooperatives:
            misses.append(f"{file_format} wrote {figures['rows']} rows of {cooperatives}")
    if misses:
        print("MISSED: " + "; ".join(misses))
        return 1
    print(
        f"targets met: CSV and NDJSON < {TIME_TARGET_S:.0f} s and < {RSS_TARGET_MB:.0f} MB;"
        f" feed <= {FEED_TARGET:.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
