"""API benchmark: GraphQL through uvicorn against PostgreSQL with the national data set.

    python -m benchmarks.api --database-url postgresql://postgres@127.0.0.1/kopdes_bench \
        [--setup] [--concurrency 32] [--seconds 10]

``--setup`` creates the database, migrates it and loads ``kopdes demo national`` (83,762
villages, ~83,400 cooperatives) first. The server runs in a uvicorn process, the load generator
in another process (asyncio + httpx, a fixed number of concurrent clients). Printed for each
scenario: requests/s and p50/p95/p99 latency.

1. the national dashboard query (38 provinces with coverage, their 514 regencies with
   coverage), beside a plain Starlette endpoint returning the same rows as JSON from the same
   database in the same run;
2. one cooperative profile by id (partner key);
3. the first and the 800th page of 100 cooperatives (keyset cursor).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"

DASHBOARD = """query {
  provinces {
    code name
    coverage { activeVillages desaCount kelurahanCount coveredVillages coveragePercent
               cooperatives kdmp kkmp mergers mockups stale computedAt }
    children(first: 100) { edges { node { code name
      coverage { activeVillages desaCount kelurahanCount coveredVillages coveragePercent
                 cooperatives kdmp kkmp mergers mockups stale computedAt } } } }
  }
}"""

PROFILE = """query($id: ID!) { cooperative(id: $id) {
  name kind stage isMockup villages { code name }
  legalIdentifiers { skAhuNumber nikKoperasi npwp nib bankAccountNumber }
  officers { role name termStart termEnd } memberCount outlets { type kbli status }
  stageHistory { stage reachedOn } financingReadiness { ready missing } } }"""

PAGE = """query($after: String) { cooperatives(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id name kind stage } } } }"""

FIELDS = (
    "active_villages",
    "desa_count",
    "kelurahan_count",
    "covered_villages",
    "coverage_percent",
    "cooperatives",
    "kdmp",
    "kkmp",
    "mergers",
    "mockups",
    "data_version",
    "computed_at",
)


# --- server --------------------------------------------------------------------------------


def build_app() -> Any:
    """The real app, plus a plain Starlette endpoint serving the dashboard rows as JSON."""
    from sqlalchemy import text
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from api.app import create_app

    app = create_app(start_embedded_worker=False)
    db = app.state.db
    columns = ", ".join(f"c.{f}" for f in FIELDS)
    sql = text(
        f"SELECT r.code, r.name, r.level, {columns} FROM regions r"
        " LEFT JOIN coverage_figures c ON c.scope_code = r.code"
        " WHERE r.level IN ('province', 'regency') AND r.retired_edition_id IS NULL"
        " ORDER BY r.code"
    )

    async def plain(_request: Request) -> JSONResponse:
        async with db.async_engine.connect() as conn:
            rows = (await conn.execute(sql)).mappings().all()
        provinces: list[dict[str, Any]] = []
        for row in rows:
            item = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            if row["level"] == "province":
                item["children"] = []
                provinces.append(item)
            else:
                provinces[-1]["children"].append(item)
        return JSONResponse({"provinces": provinces})

    app.router.routes.append(Route("/plain/dashboard", plain))
    return app


def serve() -> None:
    import uvicorn

    uvicorn.run(build_app(), host="127.0.0.1", port=PORT, log_level="warning", access_log=False)


# --- load ----------------------------------------------------------------------------------


async def _load(
    requests: list[dict[str, Any]], concurrency: int, seconds: float
) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=BASE, timeout=60, limits=limits) as client:

        async def one_client(seed: int) -> None:
            nonlocal errors
            rnd = random.Random(seed)
            while time.perf_counter() < deadline:
                spec = rnd.choice(requests)
                started = time.perf_counter()
                response = await client.request(**spec)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or b'"errors"' in response.content[:200]:
                    errors += 1

        await asyncio.gather(*(one_client(i) for i in range(concurrency)))
    return len(latencies), latencies, errors


def _load_process(
    requests: list[dict[str, Any]], concurrency: int, seconds: float, out: Any
) -> None:
    count, latencies, errors = asyncio.run(_load(requests, concurrency, seconds))
    out.put((count, latencies, errors))


def run_load(name: str, requests: list[dict[str, Any]], concurrency: int, seconds: float) -> float:
    """Run the load generator in its own process; print and return requests per second."""
    asyncio.run(_load(requests, 2, 1.0))  # warm-up (connections, caches, JIT of nothing)
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(
        target=_load_process, args=(requests, concurrency, seconds, queue)
    )
    process.start()
    count, latencies, errors = queue.get()
    process.join()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    rps: float = count / seconds
    print(
        f"{name:<34} {rps:8.1f} req/s   p50 {quantiles[49] * 1000:7.1f} ms"
        f"   p95 {quantiles[94] * 1000:7.1f} ms   p99 {quantiles[98] * 1000:7.1f} ms"
        f"   ({count} requests, {errors} errors, {concurrency} clients)"
    )
    return rps


def gql(
    query: str, variables: dict[str, Any] | None = None, token: str | None = None
) -> dict[str, Any]:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables or {}})
    return {"method": "POST", "url": "/graphql", "content": body, "headers": headers}


# --- setup ---------------------------------------------------------------------------------


def setup_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = create_engine(
        parsed.set(drivername="postgresql+psycopg", database="postgres"),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    kopdes = str(Path(sys.executable).with_name("kopdes"))
    subprocess.run([kopdes, "db", "upgrade"], check=True)
    subprocess.run([kopdes, "demo", "national"], check=True)


def issue_partner_key() -> str:
    from shared.access import keys
    from shared.audit import Actor
    from shared.db import get_database
    from shared.models import Role

    with get_database().transaction() as session:
        issued = keys.create_key(
            session, Actor(name="benchmark"), name=f"bench-{time.time_ns()}", role=Role.partner
        )
        return issued.token


def sample_ids_and_cursor() -> tuple[list[int], str | None]:
    from sqlalchemy import select

    from api.pagination import encode_cursor
    from shared.db import get_database
    from shared.models import Cooperative

    with get_database().sync_session() as session:
        ids = list(session.execute(select(Cooperative.id).order_by(Cooperative.id)).scalars())
    if len(ids) < 80_000:
        return random.sample(ids, min(1000, len(ids))), None
    # The 800th page starts after the 79,900th cooperative.
    return random.Random(1).sample(ids, 1000), encode_cursor((ids[799 * 100 - 1],))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--setup", action="store_true", help="create and load the database")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    os.environ.update(
        {
            "KOPDES_DATABASE_URL": args.database_url,
            "KOPDES_RATE_LIMIT_ENABLED": "false",
            "KOPDES_QUERY_COST_ANONYMOUS": "1000000",
            "KOPDES_QUERY_COST_PARTNER": "1000000",
            "KOPDES_IMPORT_BUNDLED_ON_START": "false",
            "KOPDES_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("KOPDES_REDIS_URL", None)
    if args.setup:
        setup_database(args.database_url)
    token = issue_partner_key()
    ids, deep_cursor = sample_ids_and_cursor()

    server = subprocess.Popen([sys.executable, "-m", "benchmarks.api", "--serve"])
    try:
        for _ in range(100):
            try:
                httpx.get(f"{BASE}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        c, s = args.concurrency, args.seconds
        print(f"cooperatives: {len(ids)} sampled; deep cursor: {deep_cursor is not None}")
        plain = run_load(
            "(1) plain Starlette dashboard", [{"method": "GET", "url": "/plain/dashboard"}], c, s
        )
        graph = run_load("(1) GraphQL national dashboard", [gql(DASHBOARD)], c, s)
        print(f"    GraphQL / plain throughput: {graph / plain:.2f}x (target >= 0.5x)")
        run_load(
            "(2) cooperative profile by id",
            [gql(PROFILE, {"id": str(i)}, token) for i in ids[:200]],
            c,
            s,
        )
        first = run_load("(3) first page of 100", [gql(PAGE, {"after": None})], c, s)
        if deep_cursor is not None:
            deep = run_load("(3) 800th page of 100", [gql(PAGE, {"after": deep_cursor})], c, s)
            print(f"    first / deep page throughput: {first / deep:.2f}x (target <= 1.5x)")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        serve()
    else:
        main()
