"""Set-based writes for the importer: COPY on PostgreSQL, executemany on SQLite.

The national list is 91,599 rows; ORM objects would cost seconds and hundreds of megabytes,
so rows go to the driver as tuples, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def bulk_insert(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    checked_by_caller: bool = False,
) -> None:
    """Insert rows (tuples in ``columns`` order) in the session's transaction.

    ``checked_by_caller``: the rows were built from validated data that satisfies the table's
    CHECK constraints by construction, so SQLite may skip evaluating them (they cost more than
    half of a national insert there); every other write keeps them.
    """
    connection = session.connection()
    if is_postgres(session):
        raw = connection.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    raw = connection.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if checked_by_caller:
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        # Rows must already hold driver values (see ``timestamp``); sqlite3 takes the iterator.
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
        )
    finally:
        if checked_by_caller:
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
        cursor.close()


def copy_text(session: Session, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """PostgreSQL: COPY ready-made text-format lines, in batches, in the session's transaction."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 5000:
                copy.write("".join(batch))
                batch.clear()
        if batch:
            copy.write("".join(batch))


def copy_escape(value: str) -> str:
    """Escape a value for COPY's text format (control characters never reach here)."""
    return value.replace("\\", "\\\\") if "\\" in value else value


def bulk_update(session: Session, sql: str, rows: Sequence[dict[str, Any]]) -> None:
    """Run one UPDATE statement for many parameter sets (executemany)."""
    if not rows:
        return
    if is_postgres(session):
        session.execute(text(sql), list(rows))
        return
    session.execute(text(sql), [{k: _sqlite_value(v) for k, v in r.items()} for r in rows])


def allocate_ids(session: Session, table: str, count: int) -> list[int]:
    """Reserve ``count`` primary keys, so children can name parents before they are written."""
    if count == 0:
        return []
    if is_postgres(session):
        # One block, two calls (not ``count`` nextval rows). Only village imports insert
        # regions and they run one at a time (the import lock), so no one draws in between.
        start = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))"), {"table": table}
        ).scalar_one()
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
            {"table": table, "last": int(start) + count - 1},
        )
        return list(range(int(start), int(start) + count))
    # SQLite: the import holds the database's write lock, so max(id) cannot move under us.
    start = session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def timestamp(session: Session, value: datetime) -> Any:
    """A timestamp as the driver takes it in raw rows (SQLite: UTCDateTime's text form)."""
    return value if is_postgres(session) else _sqlite_value(value)


def _sqlite_value(value: Any) -> Any:
    # Raw driver rows skip SQLAlchemy's type processing: store what UTCDateTime stores.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value
