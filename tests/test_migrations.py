"""Alembic is the one source of the schema: it upgrades, downgrades and matches the models."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from shared import migrate
from shared.config import Settings
from shared.db import make_sync_engine
from shared.models import Base
from tests.support import TEST_DATABASE_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """A database with nothing in it, on each backend the run has."""
    if request.param == "sqlite":
        yield Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
        return
    assert TEST_DATABASE_URL is not None
    base = make_url(TEST_DATABASE_URL).set(drivername="postgresql+psycopg")
    name = f"kopdes_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield Settings(database_url=base.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _tables(settings: Settings) -> set[str]:
    engine = make_sync_engine(settings)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(empty_database: Settings) -> None:
    migrate.upgrade(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)
    assert set(Base.metadata.tables) <= _tables(empty_database)

    migrate.downgrade(empty_database, "base")
    assert migrate.current_revision(empty_database) is None
    assert _tables(empty_database) <= {"alembic_version"}

    migrate.upgrade(empty_database)  # and back up again, cleanly
    assert migrate.current_revision(empty_database) == migrate.head_revision(empty_database)


def test_models_and_migrations_do_not_drift(empty_database: Settings) -> None:
    migrate.upgrade(empty_database)
    engine = make_sync_engine(empty_database)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_migrations_have_a_single_head(settings: Settings) -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config(settings)).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_the_data_version_row_exists_after_upgrade(empty_database: Settings) -> None:
    migrate.upgrade(empty_database)
    engine = make_sync_engine(empty_database)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT data_version, coverage_version FROM data_state")).one()
    finally:
        engine.dispose()
    assert tuple(row) == (0, -1)


def test_links_get_their_village_codes_on_upgrade_to_0006(empty_database: Settings) -> None:
    """Links made before 0004 carry their village's codes after it, whatever the backend."""
    migrate.upgrade(empty_database, "0005")
    engine = make_sync_engine(empty_database)
    now = "2026-01-01 00:00:00+00:00"
    regions = [
        (1, "64", "province", None, None, "64", None, None),
        (2, "64.72", "regency", "kota", 1, "64", "64.72", None),
        (3, "64.72.05", "district", None, 2, "64", "64.72", "64.72.05"),
        (4, "64.72.05.1003", "village", "kelurahan", 3, "64", "64.72", "64.72.05"),
    ]
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO editions (id, label, imported_at, is_current)"
                    " VALUES (1, 'e', :t, true)"
                ),
                {"t": now},
            )
            for row in regions:
                conn.execute(
                    text(
                        "INSERT INTO regions (id, code, level, kind, parent_id, province_code,"
                        " regency_code, district_code, name, customary, first_edition_id,"
                        " updated_at) VALUES (:i, :c, :l, :k, :p, :pc, :rc, :dc, 'x', false, 1, :t)"
                    ),
                    dict(zip(("i", "c", "l", "k", "p", "pc", "rc", "dc"), row, strict=True), t=now),
                )
            conn.execute(
                text(
                    "INSERT INTO cooperatives (id, name, kind, scheme, stage, stage_rank,"
                    " is_mockup, created_at, updated_at, version) VALUES"
                    " (1, 'Koperasi', 'KKMP', 'new', 'legal_entity', 3, false, :t, :t, 1)"
                ),
                {"t": now},
            )
            conn.execute(
                text(
                    "INSERT INTO cooperative_villages (cooperative_id, village_id, linked_at)"
                    " VALUES (1, 4, :t)"
                ),
                {"t": now},
            )
        migrate.upgrade(empty_database)
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT province_code, regency_code, district_code FROM cooperative_villages")
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("64", "64.72", "64.72.05")
