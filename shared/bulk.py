"""Set-based writes for the importers: COPY on PostgreSQL, executemany on SQLite.

The national list is 91,599 rows and the registry ~83,400 cooperatives; ORM objects would cost
seconds and hundreds of megabytes, so rows go to the driver in batches, in the caller's
transaction. Two row forms: tuples of driver values (``bulk_insert``, ``copy_text``: the
village list, built from validated data) and dicts of model values (``insert_dicts``: the
registry, whose SQLite path keeps SQLAlchemy's type processing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

# Keys per IN (...) list (SQLite allows 999 bound parameters per statement), and the number of
# keys above which reading the whole query once is cheaper than many such lists.
_IN_CHUNK = 900
_WHOLE_QUERY = 5000


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


def update_ids(
    session: Session,
    table: str,
    ids: Sequence[int],
    values: dict[str, Any],
    names: Sequence[str] | None = None,
) -> None:
    """Set the same ``values`` (and, with ``names``, each row's own ``name``) on many rows by
    id, set-based: one statement over arrays on PostgreSQL (an executemany of 90,000 UPDATEs
    took 31 s there), IN lists of ``_IN_CHUNK`` ids or an executemany on SQLite (in process:
    cheap)."""
    if not ids:
        return
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    if is_postgres(session):
        if names is None:
            sql = f"UPDATE {table} SET {assignments} WHERE id = ANY(CAST(:ids AS integer[]))"
            session.execute(text(sql), {**values, "ids": list(ids)})
        else:
            sql = (
                f"UPDATE {table} AS t SET name = v.name, {assignments}"
                " FROM unnest(CAST(:ids AS integer[]), CAST(:names AS text[])) AS v(id, name)"
                " WHERE t.id = v.id"
            )
            session.execute(text(sql), {**values, "ids": list(ids), "names": list(names)})
        return
    plain = {column: _sqlite_value(value) for column, value in values.items()}
    if names is not None:
        session.execute(
            text(f"UPDATE {table} SET name = :name, {assignments} WHERE id = :id"),
            [{**plain, "id": i, "name": n} for i, n in zip(ids, names, strict=True)],
        )
        return
    statement = text(f"UPDATE {table} SET {assignments} WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    for start in range(0, len(ids), _IN_CHUNK):
        session.execute(statement, {**plain, "ids": list(ids[start : start + _IN_CHUNK])})


def rows_for(
    session: Session, query: Select[*tuple[Any, ...]], key: Any, values: Sequence[Any]
) -> list[Any]:
    """The rows of ``query`` whose ``key`` is among ``values`` (an importer's lookup of what
    a file names): IN lists of a few hundred keys, or the whole query for many keys."""
    if not values:
        return []
    if len(values) > _WHOLE_QUERY:
        return list(session.execute(query).all())
    found: list[Any] = []
    for start in range(0, len(values), _IN_CHUNK):
        chunk = values[start : start + _IN_CHUNK]
        found.extend(session.execute(query.where(key.in_(chunk))).all())
    return found


def grouped(
    session: Session, key: Any, values: Sequence[Any], *columns: Any
) -> dict[Any, list[tuple[Any, ...]]]:
    """The ``columns`` of the rows whose ``key`` is among ``values``, by key: what is stored
    for each record an import names (its links, events, outlets...)."""
    found: dict[Any, list[tuple[Any, ...]]] = {}
    for row in rows_for(session, select(key, *columns), key, values):
        found.setdefault(row[0], []).append(tuple(row[1:]))
    return found


def allocate_ids(session: Session, table: str, count: int, *, exclusive: bool = False) -> list[int]:
    """Reserve ``count`` primary keys, so children can name parents before they are written.

    ``exclusive``: the caller is the only writer that inserts into ``table`` (the village
    import, under its lock), so on PostgreSQL one block is reserved in two calls. Otherwise
    each key is drawn from the sequence (API writes may draw in between). SQLite: the caller
    holds the database's write lock (BEGIN IMMEDIATE), so MAX(id) cannot move under it.
    """
    if count == 0:
        return []
    if is_postgres(session):
        if not exclusive:
            return list(
                session.execute(
                    text(
                        "SELECT nextval(pg_get_serial_sequence(:t, 'id'))"
                        " FROM generate_series(1, :n)"
                    ),
                    {"t": table, "n": count},
                ).scalars()
            )
        start = session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:table, 'id'))"), {"table": table}
        ).scalar_one()
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :last)"),
            {"table": table, "last": int(start) + count - 1},
        )
        return list(range(int(start), int(start) + count))
    start = session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def insert_dicts(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows given as dicts of model values (all with the same keys).

    PostgreSQL: COPY (psycopg would send an executemany as one statement per row). SQLite:
    an executemany through SQLAlchemy, which converts dates, enums and timestamps.
    """
    if not rows:
        return
    if not is_postgres(session):
        session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    bulk_insert(session, table.name, columns, ([_plain(r[c]) for c in columns] for r in rows))


def insert_new(
    session: Session, model: type[Any], rows: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Insert new rows given by their natural key (a registry or proposal id), their primary
    keys drawn first so that their children can name them; returns each key's id."""
    if not rows:
        return {}
    table = table_of(model)
    ids = dict(zip(rows, allocate_ids(session, table.name, len(rows)), strict=True))
    insert_dicts(session, table, [{"id": ids[key], **values} for key, values in rows.items()])
    return ids


def update_each(
    session: Session,
    model: type[Any],
    keys: Sequence[str],
    rows: Sequence[dict[str, Any]],
    *,
    also: dict[str, Any] | None = None,
) -> None:
    """Update one stored row per dict, in one executemany: the ``keys`` columns find it, the
    dict's other columns are its new values; ``also`` sets the same values (or SQL
    expressions) on every one."""
    if not rows:
        return
    table = table_of(model)
    columns = [c for c in rows[0] if c not in keys]
    session.execute(
        update(table)
        .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        .values({**{c: bindparam(f"v_{c}") for c in columns}, **(also or {})}),
        [{**{f"k_{k}": r[k] for k in keys}, **{f"v_{c}": r[c] for c in columns}} for r in rows],
    )


def delete_each(session: Session, model: type[Any], rows: Sequence[dict[str, Any]]) -> None:
    """Delete the stored rows matching each dict's columns, in one executemany."""
    if not rows:
        return
    table = table_of(model)
    keys = list(rows[0])
    session.execute(
        delete(table).where(*(table.c[k] == bindparam(f"k_{k}") for k in keys)),
        [{f"k_{k}": r[k] for k in keys} for r in rows],
    )


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


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
