"""Load while changing: drive the API at a fixed rate while a new edition is imported.

Against PostgreSQL with the national data set, through uvicorn (`kopdes serve`) and a real
`kopdes worker` on Redis, a load generator in another process sends a mix of dashboard, list
and profile queries at a fixed request rate (open loop: latency is measured from the time a
request was due, so a stalled server cannot hide behind fewer requests). Ten seconds in, a new
edition of the official list is imported (province 64 goes back to its 2022 names); coverage
is recalculated after it. At the end it reports requests, errors, p50/p95/p99, and checks that
no answer mixed two editions: the ten regency names of province 64 and the renamed villages of
district 64.71.03 must all come from one edition in every response.

    python -m benchmarks.load --database-url postgresql://postgres@127.0.0.1/test \\
        --redis-url redis://127.0.0.1:6379/0 --rate 200 --duration 60

Target (issue 12): at 200 requests per second (40 % dashboard, 30 % list page, 30 % profile),
two API processes and one worker on Redis, zero errors, p99 under 250 ms, no answer mixing
two editions, and both editions seen; the script exits 1 when any of it is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import multiprocessing
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
OLD_64 = ROOT / "tests" / "data" / "wilayah" / "2022-64"

DASHBOARD = """
{ nationalCoverage { activeVillages coveredVillages coveragePercent stale }
  provinces { code name coverage { activeVillages coveredVillages coveragePercent stale } }
  region(code: "64") { name children(first: 20) { edges { node { code name } } } } }
"""
LIST = """
query($after: String) {
  cooperatives(filter: {regionCode: "64"}, first: 50, after: $after) {
    totalCount edges { node { id name stage kind villages { code name } } } }
  regions(level: village, parentCode: "64.71.03", first: 50) { edges { node { code name } } }
}
"""
PROFILE = """
query($id: ID!) {
  cooperative(id: $id) {
    id name registryId stage isMockup memberCount
    villages { code name kind }
    legalIdentifiers { skAhuNumber nib npwp }
    officers { role name }
    outlets { type status }
    financingReadiness { ready missing }
  }
}
"""

OLD_REGENCY = ("KAB. ", "KOTA ")
OLD_VILLAGES = {"Gunungsamarinda", "Muararapak", "Gunungsamarinda Baru"}
NEW_VILLAGES = {"Gunung Samarinda", "Muara Rapak", "Gunung Samarinda Baru"}


def edition_of(kind: str, data: dict[str, Any]) -> str | None:
    """'old', 'new', 'mixed' or None (no edition-dependent names in this answer)."""
    seen: set[str] = set()
    if kind == "dashboard":
        for edge in data["region"]["children"]["edges"]:
            seen.add("old" if edge["node"]["name"].startswith(OLD_REGENCY) else "new")
    elif kind == "list":
        for edge in data["regions"]["edges"]:
            name = edge["node"]["name"]
            if name in OLD_VILLAGES:
                seen.add("old")
            elif name in NEW_VILLAGES:
                seen.add("new")
    if not seen:
        return None
    return seen.pop() if len(seen) == 1 else "mixed"


async def _drive(
    base: str, rate: int, duration: int, ids: list[str], token: str
) -> list[dict[str, Any]]:
    import aiohttp

    total = rate * duration
    rng = random.Random(7)
    results: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=256)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as client:
        start = time.perf_counter() + 0.5

        async def one(i: int) -> None:
            due = start + i / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            roll = rng.random()
            payload: dict[str, Any]
            headers: dict[str, str] = {}
            if roll < 0.4:
                kind, payload = "dashboard", {"query": DASHBOARD}
            elif roll < 0.7:
                kind, payload = "list", {"query": LIST, "variables": {}}
            else:
                kind = "profile"
                payload = {"query": PROFILE, "variables": {"id": rng.choice(ids)}}
                headers = {"authorization": f"Bearer {token}"}
            status, error, edition = 0, None, None
            try:
                async with client.post("/graphql", json=payload, headers=headers) as response:
                    status = response.status
                    body = await response.json(content_type=None)
                if status != 200 or body.get("errors"):
                    error = json.dumps(body.get("errors"))[:300]
                else:
                    edition = edition_of(kind, body["data"])
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
            results.append(
                {
                    "kind": kind,
                    "due": due - start,
                    "latency": time.perf_counter() - due,
                    "status": status,
                    "error": error,
                    "edition": edition,
                }
            )

        await asyncio.gather(*(one(i) for i in range(total)))
    return results


def _generator(base: str, rate: int, duration: int, ids: list[str], token: str, out: str) -> None:
    results = asyncio.run(_drive(base, rate, duration, ids, token))
    Path(out).write_text(json.dumps(results))


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _edition_b(work: Path) -> Path:
    """The bundled 2025 edition with province 64 as it was in 2022: the edition to import."""
    from shared.villages.bundled import BUNDLED_PATH

    folder = work / "edition-b"
    folder.mkdir()
    with zipfile.ZipFile(BUNDLED_PATH) as bundle:
        for member in bundle.namelist():
            if not member.endswith(".csv"):
                continue
            level_file = Path(member).name
            text_in = bundle.read(member).decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text_in)))
            header, body = rows[0], [r for r in rows[1:] if not r[0].startswith("64")]
            older = list(csv.reader((OLD_64 / level_file).open(encoding="utf-8")))[1:]
            merged = sorted(body + older, key=lambda r: r[0])
            with (folder / level_file).open("w", newline="", encoding="utf-8") as fh:
                writer = csv.writer(fh)
                writer.writerow(header)
                writer.writerows(merged)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--p99-ms", type=float, default=250.0, help="target p99 latency")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--import-at", type=float, default=10.0)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--api-workers", type=int, default=2, help="kopdes serve --workers")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the database of an earlier run (restoring the 2025 names) instead of a new one",
    )
    args = parser.parse_args()

    admin_url = make_url(args.database_url).set(drivername="postgresql+psycopg")
    name = "kopdes_load"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    if not args.reuse:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    database_url = admin_url.set(database=name).render_as_string(hide_password=False)
    database_url = database_url.replace("postgresql+psycopg", "postgresql")
    work = Path(tempfile.mkdtemp(prefix="kopdes-load-"))
    env = {
        **os.environ,
        "KOPDES_DATABASE_URL": database_url,
        "KOPDES_REDIS_NAMESPACE": "kopdes-load",
        "KOPDES_RATE_LIMIT_ENABLED": "false",
        "KOPDES_LOG_LEVEL": "WARNING",
        "KOPDES_WORKER_METRICS": "false",
        "KOPDES_GRAPHIQL": "false",
    }
    env.pop("KOPDES_REDIS_URL", None)
    kopdes = [sys.executable, "-m", "cli"]
    t0 = time.perf_counter()
    subprocess.run([*kopdes, "db", "upgrade"], env=env, check=True, capture_output=True)
    if not args.reuse:
        print("preparing: national villages and cooperatives (embedded, once)...", flush=True)
        subprocess.run([*kopdes, "demo", "national"], env=env, check=True, capture_output=True)
        print(f"  prepared in {time.perf_counter() - t0:.0f}s", flush=True)

    os.environ.update({**env, "KOPDES_REDIS_URL": args.redis_url})
    from shared.access.keys import create_key
    from shared.audit import Actor
    from shared.db import get_database
    from shared.models import JobStatus, Role
    from shared.villages.service import EditionInfo, start_village_import

    db = get_database()
    stamp = int(time.time())
    if args.reuse:
        from shared.villages.bundled import BUNDLED_PATH
        from shared.villages.service import import_now

        restored = import_now(db, [BUNDLED_PATH], edition=EditionInfo(label=f"load-a-{stamp}"))
        print(f"  restored the 2025 names: {restored.status.value} {restored.message}")
    with db.transaction() as session:
        token = create_key(session, Actor("load"), name="load partner", role=Role.partner).token
    with db.sync_engine.connect() as conn:
        ids = [str(r[0]) for r in conn.execute(text("SELECT id FROM cooperatives LIMIT 2000"))]
    edition_b = _edition_b(work)

    env["KOPDES_REDIS_URL"] = args.redis_url
    logs = [open(work / "api.log", "w"), open(work / "worker.log", "w")]  # noqa: SIM115
    api = subprocess.Popen(
        [
            *kopdes,
            "serve",
            "--port",
            str(args.port),
            "--no-migrate",
            "--workers",
            str(args.api_workers),
        ],
        env=env,
        stdout=logs[0],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    worker = subprocess.Popen(
        [*kopdes, "worker", "--processes", "1", "--threads", "2"],
        env=env,
        stdout=logs[1],
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for _ in range(20):  # warm up connections and caches
            httpx.post(f"{base}/graphql", json={"query": DASHBOARD}, timeout=30)
        out = work / "results.json"
        generator = multiprocessing.get_context("spawn").Process(
            target=_generator, args=(base, args.rate, args.duration, ids, token, str(out))
        )
        started = time.perf_counter()
        generator.start()
        time.sleep(args.import_at)
        job = start_village_import(
            db,
            [edition_b],
            edition=EditionInfo(label=f"load-b-{stamp}", decree="2022 names for province 64"),
            actor=Actor("load"),
        )
        print(f"import job {job.id} started at t={time.perf_counter() - started:.1f}s", flush=True)
        generator.join()
        results = json.loads(out.read_text())
        with db.sync_session() as session:
            from shared.models import ImportJob

            finished = session.get(ImportJob, job.id)
            assert finished is not None
            coverage_jobs = session.execute(
                text(
                    "SELECT count(*), min(started_at), max(finished_at) FROM import_jobs"
                    " WHERE kind = 'coverage' AND status = 'succeeded' AND started_at IS NOT NULL"
                    " AND created_at >= :t"
                ),
                {"t": finished.created_at},
            ).one()
    finally:
        for proc in (api, worker):
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        for fh in logs:
            fh.close()

    latencies = [r["latency"] * 1000 for r in results]
    errors = [r for r in results if r["error"]]
    mixed = [r for r in results if r["edition"] == "mixed"]
    seen = {r["edition"] for r in results if r["edition"]}
    print()
    print(f"requests: {len(results)} at {args.rate}/s for {args.duration}s")
    print(f"errors: {len(errors)}")
    for r in errors[:5]:
        print(f"  {r['kind']} t={r['due']:.1f}s status={r['status']}: {r['error']}")
    print(
        f"latency ms: p50 {_percentile(latencies, 50):.1f}  p95 {_percentile(latencies, 95):.1f}"
        f"  p99 {_percentile(latencies, 99):.1f}  max {max(latencies):.1f}"
        f"  mean {statistics.fmean(latencies):.1f}"
    )
    for kind in ("dashboard", "list", "profile"):
        ks = [r["latency"] * 1000 for r in results if r["kind"] == kind]
        print(
            f"  {kind:<9} n={len(ks):>5}  p50 {_percentile(ks, 50):6.1f}"
            f"  p95 {_percentile(ks, 95):6.1f}  p99 {_percentile(ks, 99):6.1f}"
        )
    window = [
        r["latency"] * 1000
        for r in results
        if finished.started_at is not None
        and args.import_at <= r["due"] <= args.import_at + (finished.timings or {}).get("total", 0)
    ]
    busy_until = args.import_at + (finished.timings or {}).get("total", 0) + 10
    quiet = [r["latency"] * 1000 for r in results if not args.import_at <= r["due"] <= busy_until]
    print(f"  during the import: n={len(window)} p99 {_percentile(window, 99):.1f}")
    print(
        f"  outside the import and the recalculation after it: n={len(quiet)}"
        f" p50 {_percentile(quiet, 50):.1f} p99 {_percentile(quiet, 99):.1f}"
    )
    print(
        f"import: {finished.status.value} in {(finished.timings or {}).get('total', 0):.1f}s;"
        f" diff {json.dumps(finished.diff)}"
    )
    print(f"coverage recalculations after it: {coverage_jobs[0]}")
    print(f"editions seen in answers: {sorted(seen)}; answers mixing two editions: {len(mixed)}")
    misses = [
        what
        for what, missed in (
            (f"{len(errors)} errors", bool(errors)),
            (f"{len(mixed)} answers mixing editions", bool(mixed)),
            (
                f"p99 {_percentile(latencies, 99):.1f} ms >= {args.p99_ms:g} ms",
                not _percentile(latencies, 99) < args.p99_ms,
            ),
            (f"import {finished.status.value}", finished.status != JobStatus.succeeded),
            (f"editions seen {sorted(seen)}, not both", seen != {"old", "new"}),
        )
        if missed
    ]
    print("TARGET MET" if not misses else "TARGET MISSED: " + "; ".join(misses))
    shutil.rmtree(work, ignore_errors=True)
    if misses:
        sys.exit(1)


if __name__ == "__main__":
    main()
