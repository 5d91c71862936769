"""Fixtures: a migrated database per session, each test isolated; an HTTP client for the
ASGI app; a real Dramatiq worker on the session's broker.

The suite runs on SQLite with the in-process broker by default. With
``KOPDES_TEST_DATABASE_URL`` (a PostgreSQL server; a database of its own is created for the
session and dropped after) and ``KOPDES_TEST_REDIS_URL`` it runs on those. In CI (``CI=true``)
a configured service that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import (
    IN_CI,
    TEST_DATABASE_URL,
    TEST_REDIS_URL,
    runtime_mismatch,
    truncate_all,
)

SESSION_TAG = uuid.uuid4().hex[:10]


def _create_postgres_database(url: str) -> str:
    parsed = make_url(url)
    name = f"kopdes_test_{SESSION_TAG}"
    admin = create_engine(parsed.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(
        parsed.set(
            drivername="postgresql+psycopg", database=make_url(TEST_DATABASE_URL or url).database
        ),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _check_reachable() -> None:
    if TEST_DATABASE_URL:
        try:
            engine = create_engine(make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg"))
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as exc:
            pytest.exit(f"KOPDES_TEST_DATABASE_URL is set but unreachable: {exc}", returncode=3)
    if TEST_REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(TEST_REDIS_URL).ping()
        except Exception as exc:
            pytest.exit(f"KOPDES_TEST_REDIS_URL is set but unreachable: {exc}", returncode=3)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _check_reachable()
    if TEST_DATABASE_URL:
        url = _create_postgres_database(TEST_DATABASE_URL)
        yield url
        from shared.db import reset_database

        reset_database()
        _drop_postgres_database(url)
    else:
        path = tmp_path_factory.mktemp("db") / "kopdes.db"
        yield f"sqlite:///{path}"


@pytest.fixture(scope="session", autouse=True)
def settings(database_url: str) -> Iterator[object]:
    """Point the whole process at the session's database and broker, migrated to head."""
    from shared import broker, migrate
    from shared.config import get_settings, reset_settings
    from shared.db import reset_database

    os.environ["KOPDES_DATABASE_URL"] = database_url
    os.environ["KOPDES_REDIS_NAMESPACE"] = f"kopdes-test-{SESSION_TAG}"
    os.environ["KOPDES_WORKER_METRICS"] = "false"
    os.environ["KOPDES_IMPORT_BUNDLED_ON_START"] = "false"
    # Retries after transient failures come quickly in tests (50 ms, 100 ms, 200 ms).
    os.environ["KOPDES_JOB_RETRY_MIN_BACKOFF_MS"] = "50"
    os.environ["KOPDES_JOB_RETRY_MAX_BACKOFF_MS"] = "1000"
    # Tests share one client address (and, on Redis, one counter store); tests/access enables it.
    os.environ["KOPDES_RATE_LIMIT_ENABLED"] = "false"
    if TEST_REDIS_URL:
        os.environ["KOPDES_REDIS_URL"] = TEST_REDIS_URL
    else:
        os.environ.pop("KOPDES_REDIS_URL", None)
    reset_settings()
    reset_database()
    current = get_settings()
    migrate.upgrade(current)
    broker.ensure_broker(current)
    import worker.actors  # noqa: F401  (declare every actor on the session's broker)

    yield current
    broker.get_broker().flush_all()
    broker.reset_broker()
    if TEST_REDIS_URL:
        # flush_all leaves Dramatiq's heartbeat set behind; leave Redis as we found it.
        import redis

        client = redis.Redis.from_url(TEST_REDIS_URL)
        for key in client.scan_iter(match=f"{current.redis_namespace}:*", count=1000):
            client.delete(key)
        client.close()


@pytest.fixture
def db(settings: object) -> Iterator[object]:
    """The session's database, emptied after the test (the schema stays)."""
    from shared.broker import get_broker
    from shared.db import get_database

    database = get_database()
    yield database
    get_broker().flush_all()
    truncate_all(database)


@pytest.fixture
def worker(db: object) -> Iterator[object]:
    """A real Dramatiq worker, in threads of this process, on the session's broker."""
    from worker.embedded import start as start_embedded_worker
    from worker.embedded import stop as stop_embedded_worker

    yield start_embedded_worker(threads=2)
    stop_embedded_worker()


@pytest.fixture
async def client(db: object) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the ASGI app in-process (no worker threads of its own)."""
    from api.app import create_app

    app = create_app(start_embedded_worker=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        reason = runtime_mismatch(item)
        if reason is None:
            keep.append(item)
        elif IN_CI:
            deselected.append(item)
        else:
            item.add_marker(pytest.mark.skip(reason=reason))
            keep.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> list[str]:
    return [
        "kopdes database: " + ("postgresql" if TEST_DATABASE_URL else "sqlite"),
        "kopdes broker: " + ("redis" if TEST_REDIS_URL else "in-process (stub)"),
        f"CI: {IN_CI}",
    ]
