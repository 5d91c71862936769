"""The hand-written reference: Starlette + psycopg 3 (async pool), no GraphQL, no ORM.

    KOPDES_DATABASE_URL=postgresql://... python -m benchmarks.reference_app --port 8767 \
        --static-file var/bench/dashboard.json

What a competent engineer writes when one endpoint must answer one question fast: one SQL
statement per request that builds the whole answer with PostgreSQL's JSON functions, passed
through as bytes. Each endpoint returns exactly the JSON Kopdes returns for the benchmark's
GraphQL query (same ``data`` object, same global ids and cursors), and takes the same request
body (``{"query": ..., "variables": {...}}``; the query is ignored), so the load generator
sends identical requests to both sides.

* ``POST /profile``: ``cooperative(id) { id name villages { code name kind } }``;
* ``POST /page``: the first 100 cooperatives of a regency (by id) with their villages,
  ``totalCount`` and ``pageInfo { hasNextPage endCursor }``;
* ``GET|POST /static``: the bytes of the file given with ``--static-file`` (the national
  dashboard as Kopdes answered it), read once at start; the benchmark runs this static
  endpoint in a process of its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Relay ids and cursors as Kopdes makes them: unpadded url-safe base64 of "Type:id" and of
# the JSON list of the sort key ("[id]").
_B64URL = "rtrim(translate(encode(convert_to({}, 'UTF8'), 'base64'), '+/', '-_'), '=')"
GLOBAL_ID = _B64URL.format("'Cooperative:' || c.id")
CURSOR = _B64URL.format("'[' || c.id || ']'")

VILLAGES = """COALESCE((
    SELECT json_agg(json_build_object('code', r.code, 'name', r.name, 'kind', r.kind)
                    ORDER BY r.code)
    FROM cooperative_villages cv JOIN regions r ON r.id = cv.village_id
    WHERE cv.cooperative_id = c.id), '[]'::json)"""

PROFILE_SQL = f"""
SELECT json_build_object('id', {GLOBAL_ID}, 'name', c.name, 'villages', {VILLAGES})::text
FROM cooperatives c WHERE c.id = %(id)s"""

PAGE_SIZE = 100
# The regency's cooperatives once (a merger across two of its villages counts once), the
# page of 101 of them in id order (the 101st only says that a next page exists). The
# regency's village ids are computed first (ARRAY(subquery)) so that their cooperatives are
# found through the unique index on village_id: as a join, the planner hash-joins a scan of
# the whole of cooperative_villages (about 40 ms against 1 ms, by EXPLAIN ANALYZE).
PAGE_SQL = f"""
WITH members AS (
    SELECT DISTINCT cv.cooperative_id AS id FROM cooperative_villages cv
    WHERE cv.village_id = ANY(ARRAY(SELECT r.id FROM regions r WHERE r.regency_code = %(region)s))
), page AS (
    SELECT c.id, c.name, c.kind FROM cooperatives c
    WHERE c.id IN (SELECT id FROM members) ORDER BY c.id LIMIT {PAGE_SIZE + 1}
), shown AS (
    SELECT * FROM page ORDER BY id LIMIT {PAGE_SIZE}
)
SELECT json_build_object('cooperatives', json_build_object(
    'totalCount', (SELECT count(*) FROM members),
    'pageInfo', json_build_object(
        'hasNextPage', (SELECT count(*) FROM page) > {PAGE_SIZE},
        'endCursor', (SELECT {CURSOR} FROM shown c ORDER BY c.id DESC LIMIT 1)),
    'edges', COALESCE((
        SELECT json_agg(json_build_object('node', json_build_object(
            'id', {GLOBAL_ID}, 'name', c.name, 'kind', lower(c.kind), 'villages', {VILLAGES}))
            ORDER BY c.id)
        FROM shown c), '[]'::json)))::text"""

JSON = "application/json"


def _variables(body: bytes) -> dict[str, Any]:
    variables = json.loads(body).get("variables") or {}
    if not isinstance(variables, dict):
        raise ValueError("variables must be an object")
    return variables


def build_app(database_url: str, static_body: bytes | None) -> Starlette:
    pool = AsyncConnectionPool(database_url, min_size=8, max_size=16, open=False)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await pool.open(wait=True)
        try:
            yield
        finally:
            await pool.close()

    async def answer(sql: str, params: dict[str, Any], field: str) -> Response:
        async with pool.connection() as conn:
            cursor = await conn.execute(sql, params)
            row = await cursor.fetchone()
        data = row[0] if row is not None else None
        if field:  # the GraphQL root field around the object (null when nothing matched)
            data = f'{{"{field}":{data or "null"}}}'
        return Response(f'{{"data":{data}}}'.encode(), media_type=JSON)

    async def profile(request: Request) -> Response:
        try:
            cooperative_id = int(_variables(await request.body())["id"])
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"errors": [{"message": f"bad id: {exc}"}]}, status_code=400)
        return await answer(PROFILE_SQL, {"id": cooperative_id}, "cooperative")

    async def page(request: Request) -> Response:
        try:
            region = str(_variables(await request.body())["region"])
        except (ValueError, KeyError) as exc:
            return JSONResponse({"errors": [{"message": f"bad region: {exc}"}]}, status_code=400)
        return await answer(PAGE_SQL, {"region": region}, "")

    async def static(_request: Request) -> Response:
        return Response(static_body, media_type=JSON)

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/profile", profile, methods=["POST"]),
        Route("/page", page, methods=["POST"]),
        Route("/healthz", healthz),
    ]
    if static_body is not None:
        routes.append(Route("/static", static, methods=["GET", "POST"]))
    return Starlette(routes=routes, lifespan=lifespan)


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--static-file", type=Path, help="bytes that /static returns")
    args = parser.parse_args()
    url = os.environ["KOPDES_DATABASE_URL"]
    app = build_app(url, args.static_file.read_bytes() if args.static_file else None)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None)


if __name__ == "__main__":
    main()
