"""Engines and sessions: async for the API, sync for the worker and the CLI, from one place.

SQLite runs with WAL (readers never wait for the importer's write transaction) and foreign
keys on; PostgreSQL runs through psycopg 3 in both modes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, sessionmaker

from shared.config import Settings, get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


# Execution option of a read-only transaction (an export's snapshot): a deferred BEGIN, which
# in WAL mode reads one snapshot without taking the write lock that writers need meanwhile.
READ_SNAPSHOT = "kopdes_read_snapshot"


def _sqlite_begin_immediate(conn: Any) -> None:
    # pysqlite's deferred BEGIN upgrades to a write lock mid-transaction and can then fail
    # with "database is locked" regardless of busy_timeout; take the write lock up front.
    if conn.get_execution_options().get(READ_SNAPSHOT):
        conn.exec_driver_sql("BEGIN")
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _ensure_sqlite_dir(url: URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def make_sync_engine(settings: Settings, **kwargs: Any) -> Engine:
    url = settings.sync_database_url
    if settings.is_sqlite:
        _ensure_sqlite_dir(url)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # Let SQLAlchemy, not the driver, issue BEGIN (so BEGIN IMMEDIATE takes effect).
        event.listen(
            engine,
            "connect",
            lambda dbapi_conn, _rec: setattr(dbapi_conn, "isolation_level", None),
        )
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, **kwargs)


def make_async_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    url = settings.async_database_url
    if settings.is_sqlite:
        _ensure_sqlite_dir(url)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # The API reads through this engine, one short statement per DataLoader batch, and writes
    # through sync services; autocommit saves the BEGIN and ROLLBACK round trips around every
    # batch (a third of a cooperative profile's time on PostgreSQL).
    kwargs.setdefault("isolation_level", "AUTOCOMMIT")
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


class Database:
    """The engines and session factories of one configuration."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sync_engine = make_sync_engine(settings)
        self.async_engine = make_async_engine(settings)
        self.sync_session = sessionmaker(self.sync_engine, expire_on_commit=False)
        self.async_session = async_sessionmaker(self.async_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A sync session in one transaction: committed on success, rolled back on error."""
        with self.sync_session() as session, session.begin():
            yield session

    @contextmanager
    def read_snapshot(self) -> Iterator[Session]:
        """A sync session reading one consistent moment of the data, writing nothing: REPEATABLE
        READ on PostgreSQL; a deferred (lock-free) transaction on SQLite's WAL."""
        options: dict[str, Any] = {READ_SNAPSHOT: True}
        if not self.settings.is_sqlite:
            options["isolation_level"] = "REPEATABLE READ"
        with self.sync_session() as session:
            session.connection(execution_options=options)
            try:
                yield session
            finally:
                session.rollback()

    def new_async_session(self) -> AsyncSession:
        return self.async_session()

    async def dispose(self) -> None:
        await self.async_engine.dispose()
        self.sync_engine.dispose()


_lock = threading.Lock()
_database: Database | None = None


def get_database() -> Database:
    """The process-wide database of the current settings (created on first use)."""
    global _database
    with _lock:
        if _database is None:
            _database = Database(get_settings())
        return _database


def reset_database() -> None:
    """Drop the process-wide database (tests switch settings between sessions)."""
    global _database
    with _lock:
        if _database is not None:
            _database.sync_engine.dispose()
        _database = None
