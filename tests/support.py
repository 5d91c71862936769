"""Helpers for tests: service switches, waiting for jobs, GraphQL over HTTP."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from shared.db import Database
from shared.models import Cooperative, CooperativeVillage, Region

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_DATABASE_URL = os.environ.get("KOPDES_TEST_DATABASE_URL") or None
TEST_REDIS_URL = os.environ.get("KOPDES_TEST_REDIS_URL") or None

# Runtime markers. Outside CI a test for the other runtime is skipped with the reason; in CI,
# where both runtimes run, it is deselected from the run it does not belong to (see conftest),
# so a skip in CI always means something is wrong.
needs_postgres = pytest.mark.postgres
needs_redis = pytest.mark.redis
embedded_only = pytest.mark.embedded


def runtime_mismatch(item: pytest.Item) -> str | None:
    """Why this test does not belong to the current runtime, or None if it does."""
    if item.get_closest_marker("postgres") and TEST_DATABASE_URL is None:
        return "set KOPDES_TEST_DATABASE_URL to run on PostgreSQL"
    if item.get_closest_marker("redis") and TEST_REDIS_URL is None:
        return "set KOPDES_TEST_REDIS_URL to run on Redis"
    if item.get_closest_marker("embedded") and TEST_REDIS_URL is not None:
        return "embedded runtime only (no Redis configured)"
    return None


def truncate_all(db: Any) -> None:
    """Empty every table but the migration marker; reset the data-version row."""
    from shared.models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.sync_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                if table == "regions":
                    # parent_id is ON DELETE RESTRICT, checked row by row: children first.
                    for level in ("village", "district", "regency"):
                        conn.execute(text("DELETE FROM regions WHERE level = :l"), {"l": level})
                conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(
            text(
                "INSERT INTO data_state (id, data_version, coverage_version,"
                " coverage_requested_version, changed_at) VALUES (1, 0, -1, -1, CURRENT_TIMESTAMP)"
            )
        )


def wait_for_job(db: Any, job_id: int, timeout: float = 60.0) -> Any:
    """Poll until the job has finished; return the row."""
    from shared.models import ImportJob, JobStatus

    deadline = time.monotonic() + timeout
    while True:
        with db.sync_session() as session:
            job = session.get(ImportJob, job_id)
            assert job is not None, f"job {job_id} does not exist"
            if job.status in (JobStatus.succeeded, JobStatus.failed):
                return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job.status} after {timeout}s: {job.message}")
        time.sleep(0.05)


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    headers: dict[str, str] | None = None,
    expect_errors: bool = False,
) -> dict[str, Any]:
    """POST a GraphQL request; return the JSON body (asserting no errors unless told)."""
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    body: dict[str, Any] = response.json()
    if not expect_errors:
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
    return body


def village_links(db: Database) -> list[tuple[str, str]]:
    """Every (registry id, village code) link, in that order."""
    with db.sync_session() as session:
        rows = session.execute(
            select(Cooperative.registry_id, Region.code)
            .join(CooperativeVillage, CooperativeVillage.cooperative_id == Cooperative.id)
            .join(Region, Region.id == CooperativeVillage.village_id)
            .order_by(Cooperative.registry_id, Region.code)
        )
        return [(rid or "", code) for rid, code in rows]


def edition_zip(folder: Path) -> bytes:
    """An edition's four per-level CSV files as one ZIP, as an operator uploads it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in ("provinces.csv", "regencies.csv", "districts.csv", "villages.csv"):
            archive.write(folder / name, name)
    return buffer.getvalue()
