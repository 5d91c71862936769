"""Configuration: plain URLs get the right drivers; bad values are refused clearly."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.config import Settings, driver_url


@pytest.mark.parametrize(
    ("url", "asynchronous", "driver"),
    [
        ("sqlite:///var/x.db", True, "sqlite+aiosqlite"),
        ("sqlite:///var/x.db", False, "sqlite+pysqlite"),
        ("postgresql://u@h/db", True, "postgresql+psycopg"),
        ("postgresql://u@h/db", False, "postgresql+psycopg"),
        ("postgresql+asyncpg://u@h/db", False, "postgresql+psycopg"),
    ],
)
def test_plain_urls_get_drivers(url: str, asynchronous: bool, driver: str) -> None:
    assert driver_url(url, asynchronous=asynchronous).drivername == driver


def test_unsupported_database_is_refused() -> None:
    with pytest.raises(ValidationError, match="unsupported database"):
        Settings(database_url="mysql://root@localhost/x")


def test_empty_redis_url_means_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KOPDES_REDIS_URL", "")
    assert Settings().embedded
    monkeypatch.setenv("KOPDES_REDIS_URL", "redis://localhost:6379/0")
    assert not Settings().embedded


def test_default_database_is_a_sqlite_file_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KOPDES_DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///var/kopdes.db"
    assert settings.is_sqlite
