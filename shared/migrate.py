"""Schema migrations (Alembic is the one source of the schema), callable from code and CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shared.config import Settings
from shared.db import make_sync_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "sqlalchemy.url", settings.sync_database_url.render_as_string(hide_password=False)
    )
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    _migrate(settings, command.upgrade, revision)


def downgrade(settings: Settings, revision: str) -> None:
    _migrate(settings, command.downgrade, revision)


def _migrate(settings: Settings, move: Callable[[Config, str], None], revision: str) -> None:
    """Move the schema to ``revision`` in one transaction of a connection of our own."""
    config = alembic_config(settings)
    engine = make_sync_engine(settings)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            move(config, revision)
    finally:
        engine.dispose()


def current_revision(settings: Settings) -> str | None:
    engine = make_sync_engine(settings)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision(settings: Settings) -> str | None:
    return ScriptDirectory.from_config(alembic_config(settings)).get_current_head()
