"""Benchmark: the national village-list import against a raw bulk load of the same rows.

For each database (PostgreSQL, SQLite), ``--rounds`` times in a fresh scratch database:

1. the full import of the bundled 2025 edition into an empty database, beside a raw ``COPY``
   (PostgreSQL) or ``executemany`` (SQLite) of the same 91,599 ``code,name`` rows, read from the
   same archive with the csv module, into a bare table;
2. storing alone: the finished ``regions`` rows into an empty copy of the table, then its
   indexes and foreign keys (what any importer into this schema pays, whatever its reading);
3. the same file again (nothing changes), beside the same raw load, and once more with the
   SHA-256 shortcut off (every row read, validated and compared).

Medians are printed: one round on a 2-core machine varies by 20-40%.

Prints seconds, ratios and peak memory (the process's maximum resident set size, which
includes the interpreter and libraries: an upper bound for the import). Targets: full import at
most 5x the raw load, unchanged re-import at most 3x, peak memory under 500 MB.

    .venv/bin/python -m benchmarks.import_villages [--postgres URL] [--skip-sqlite] [--rounds 3]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1/test"
TARGET_FULL, TARGET_REIMPORT, TARGET_MB = 5.0, 3.0, 500.0


def peak_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows_of_bundle(path: Path) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(path) as archive:
        for member in ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv"):
            with archive.open(member) as raw:
                reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
                next(reader)
                for row in reader:
                    yield row[0], row[1]


def raw_load(url: str, bundle: Path) -> float:
    """Seconds to read the rows and bulk-load them into a bare table, in one transaction."""
    with scratch_table(url, "bench_raw") as (engine, table):
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (code VARCHAR(13), name VARCHAR(200))"))
        started = time.perf_counter()
        with engine.begin() as conn:
            raw: Any = conn.connection.driver_connection
            if engine.dialect.name == "postgresql":
                with (
                    raw.cursor() as cursor,
                    cursor.copy(f"COPY {table} (code, name) FROM STDIN") as copy,
                ):
                    for row in rows_of_bundle(bundle):
                        copy.write_row(row)
            else:
                raw.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows_of_bundle(bundle))
        return time.perf_counter() - started


@contextmanager
def scratch_table(url: str, prefix: str) -> Iterator[tuple[Engine, str]]:
    """An engine and a fresh table name; the table is dropped afterwards."""
    engine = create_engine(url)
    table = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        yield engine, table
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    finally:
        engine.dispose()


def stored_floor(url: str) -> float:
    """Seconds to store the finished ``regions`` rows of the import just done, and nothing else.

    The rows (all columns, exported beforehand) go into an empty copy of the table with its
    CHECK constraints, then its indexes, unique constraint and foreign keys are built, as the
    importer does into an empty list. No reading, validating, comparing or deriving: the cost
    any importer into this schema pays, however fast its Python.
    """
    with scratch_table(url, "bench_floor") as (engine, table):
        with engine.begin() as conn:
            raw: Any = conn.connection.driver_connection
            if engine.dialect.name == "postgresql":
                with raw.cursor() as cursor:
                    with cursor.copy("COPY regions TO STDOUT") as copy:
                        data = b"".join(bytes(chunk) for chunk in copy)
                    cursor.execute(
                        "SELECT indexdef FROM pg_indexes WHERE tablename = 'regions'"
                        " AND indexname <> 'pk_regions'"
                    )
                    indexes = [row[0] for row in cursor.fetchall()]
                    cursor.execute(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                        " WHERE conrelid = 'regions'::regclass AND contype = 'f'"
                    )
                    foreign = [f"CONSTRAINT {n}_f {d}" for n, d in cursor.fetchall()]
                ddl = [
                    f"CREATE TABLE {table} (LIKE regions INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
                    f" PRIMARY KEY (id))"
                ]
                build = [
                    *(
                        d.replace("INDEX ", "INDEX f_", 1).replace(
                            " ON public.regions ", f" ON {table} "
                        )
                        for d in indexes
                    ),
                    *(f"ALTER TABLE {table} ADD {f}" for f in foreign),
                ]
            else:
                rows = raw.execute("SELECT * FROM regions").fetchall()
                create, *index_sql = [
                    r[0]
                    for r in raw.execute(
                        "SELECT sql FROM sqlite_master WHERE tbl_name = 'regions'"
                        " AND sql IS NOT NULL ORDER BY type DESC"
                    )
                ]
                # Migrations may have quoted the name ("regions") when they rebuilt the table.
                ddl = [re.sub(r'CREATE TABLE "?regions"?', f"CREATE TABLE {table}", create)]
                build = [
                    re.sub(r' ON "?regions"? ', f" ON {table} ", d.replace("INDEX ", "INDEX f_", 1))
                    for d in index_sql
                ]
        with engine.begin() as conn:
            for statement in ddl:
                conn.execute(text(statement))
        started = time.perf_counter()
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            if engine.dialect.name == "postgresql":
                with raw.cursor() as cursor, cursor.copy(f"COPY {table} FROM STDIN") as copy:
                    copy.write(data)
            else:
                marks = ", ".join("?" for _ in rows[0])
                raw.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)
            for statement in build:
                conn.execute(text(statement))
        return time.perf_counter() - started


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def bench(url: str) -> dict[str, float]:
    """One round of every measurement against ``url`` (an empty database): seconds by name."""
    os.environ["KOPDES_DATABASE_URL"] = url
    from shared import broker, migrate
    from shared.config import get_settings, reset_settings
    from shared.db import get_database, reset_database

    reset_settings()
    reset_database()
    broker.reset_broker()
    settings = get_settings()
    migrate.upgrade(settings)
    broker.ensure_broker(settings)
    db = get_database()

    from shared.villages.bundled import BUNDLED_PATH
    from shared.villages.service import import_bundled_now

    raw_url = settings.sync_database_url.render_as_string(hide_password=False)
    figures: dict[str, float] = {}

    figures["raw1"] = raw_load(raw_url, BUNDLED_PATH)
    figures["full"], job = timed(lambda: import_bundled_now(db))
    assert job.status.value == "succeeded", job.message
    figures.update({f"phase {k}": v for k, v in job.timings.items()})
    figures["floor"] = stored_floor(raw_url)
    figures["raw2"] = raw_load(raw_url, BUNDLED_PATH)
    figures["again"], job2 = timed(lambda: import_bundled_now(db))
    assert job2.status.value == "succeeded", job2.message
    assert "nothing changed" in (job2.message or ""), job2.message
    figures["raw3"] = raw_load(raw_url, BUNDLED_PATH)
    figures["compare"], job3 = timed(lambda: import_bundled_now(db, full_compare=True))
    assert job3.status.value == "succeeded", job3.message
    broker.reset_broker()
    reset_database()
    return figures


def report(label: str, rounds: list[dict[str, float]]) -> list[str]:
    """Print the medians of the rounds; return the targets missed."""

    def median(key: str) -> float:
        return statistics.median(r[key] for r in rounds)

    def ratio(key: str, base: str) -> float:
        return statistics.median(r[key] / r[base] for r in rounds)

    failures: list[str] = []
    full, floor = median("full"), median("floor")
    phases = {k.removeprefix("phase "): round(median(k), 3) for k in rounds[0] if " " in k}
    print(f"\n== {label}: medians of {len(rounds)} rounds, each in a fresh database ==")
    print(
        f"full import      {full:7.2f} s   raw load {median('raw1'):6.2f} s   ratio"
        f" {ratio('full', 'raw1'):5.1f}x (target <= {TARGET_FULL:.0f}x)   phases {phases}"
    )
    print(
        f"  storing alone  {floor:7.2f} s   = {ratio('floor', 'raw1'):5.1f}x the raw load: the"
        f" finished rows into an empty copy of regions, then its indexes and foreign keys;"
        f" the import is {ratio('full', 'floor'):.1f}x this"
    )
    print(
        f"same file again  {median('again'):7.2f} s   raw load {median('raw2'):6.2f} s   ratio"
        f" {ratio('again', 'raw2'):5.1f}x (target <= {TARGET_REIMPORT:.0f}x)   recognised by"
        f" its SHA-256: nothing read again, nothing written"
    )
    print(f"  (read+compare) {median('compare'):7.2f} s   raw load {median('raw3'):6.2f} s   ratio"
          f" {ratio('compare', 'raw3'):5.1f}x   same file again without the SHA-256 shortcut:"
          " every row read, validated and compared")  # fmt: skip
    mb = peak_mb()
    print(f"peak memory      {mb:7.1f} MB (process max RSS; target < {TARGET_MB:.0f} MB)")
    if ratio("full", "raw1") > TARGET_FULL:
        failures.append(f"{label} full import {ratio('full', 'raw1'):.1f}x")
    if ratio("again", "raw2") > TARGET_REIMPORT:
        failures.append(f"{label} re-import {ratio('again', 'raw2'):.1f}x")
    if mb > TARGET_MB:
        failures.append(f"{label} memory {mb:.0f} MB")
    return failures


def scratch_postgres(url: str) -> tuple[str, Callable[[], None]]:
    base = make_url(url).set(drivername="postgresql+psycopg")
    name = f"kopdes_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--postgres", default=os.environ.get("KOPDES_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases per backend")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    os.environ.pop("KOPDES_REDIS_URL", None)  # in-process broker: nothing leaves this process
    os.environ["KOPDES_WORKER_METRICS"] = "false"
    failures: list[str] = []
    if not args.skip_postgres:
        rounds = []
        for _ in range(args.rounds):
            url, drop = scratch_postgres(args.postgres)
            try:
                rounds.append(bench(url))
            finally:
                drop()
        failures += report("PostgreSQL (COPY baseline)", rounds)
    if not args.skip_sqlite:
        rounds = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                rounds.append(bench(f"sqlite:///{folder}/bench.db"))
        failures += report("SQLite (executemany baseline)", rounds)
    print("\n" + ("all targets met" if not failures else "TARGET MISSED: " + "; ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
