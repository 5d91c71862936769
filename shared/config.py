"""Configuration, read from the environment (prefix ``KOPDES_``) and an optional ``.env`` file.

Plain URLs are accepted (``sqlite:///var/kopdes.db``, ``postgresql://user@host/db``); the
project picks its own async and sync drivers from them, so operators never need to know that
the API runs on ``aiosqlite``/``psycopg`` async and the worker on their sync siblings.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

from shared.rates import parse_rate

DEFAULT_SQLITE_PATH = Path("var") / "kopdes.db"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class Settings(BaseSettings):
    """Every setting the service reads. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(
        env_prefix="KOPDES_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE_PATH}",
        description="Database URL; SQLite file under ./var/ by default, or postgresql://...",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL for the Dramatiq broker; unset runs the embedded in-process worker",
    )
    redis_namespace: str = Field(
        default="kopdes", description="Prefix of the broker's keys in Redis"
    )
    host: str = Field(default="127.0.0.1", description="Address the API binds to")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the API binds to")
    forwarded_allow_ips: str = Field(
        default="",
        description="Proxies trusted for X-Forwarded-For/-Proto: comma-separated addresses or"
        " networks, '*' for any; empty trusts none (the peer is the client)",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Serve /metrics on this port of its own (and not on the public port)",
    )
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    log_format: LogFormat = Field(default=LogFormat.text, description="text or json")
    embedded_worker_threads: int = Field(
        default=2, ge=1, le=32, description="Worker threads inside `serve` in the embedded runtime"
    )
    import_bundled_on_start: bool = Field(
        default=True,
        description="Embedded `serve` imports the bundled village list into an empty database",
    )
    max_reported_errors: int = Field(
        default=100, ge=1, le=100_000, description="Import errors kept per job (all are counted)"
    )
    min_match_rate: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="Name-keyed registry files: the share of names per level that must match"
        " an official region, else the import is refused (unless a low rate is allowed)",
    )
    place_overrides: Path | None = Field(
        default=None,
        description="Operations' overrides file (source_id,code) for name-keyed registry"
        " imports; it wins over the crosswalk and the names",
    )
    mass_retirement_percent: float = Field(
        default=5.0,
        ge=0,
        le=100,
        description="An edition retiring more than this share of active villages needs"
        " --allow-mass-retirement",
    )
    file_retention_days: int = Field(
        default=30,
        ge=1,
        description="Days an import's stored input file is kept in the database (then deleted)",
    )
    upload_max_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, description="Largest accepted upload, in bytes"
    )
    worker_metrics: bool = Field(
        default=True, description="Worker processes export Dramatiq metrics on port 9191"
    )
    job_max_retries: int = Field(
        default=3, ge=0, le=20, description="Retries of a job after a transient failure"
    )
    job_retry_min_backoff_ms: int = Field(
        default=1_000, ge=10, description="Wait before a job's first retry (doubles each retry)"
    )
    job_retry_max_backoff_ms: int = Field(
        default=60_000, ge=10, description="Longest wait between two attempts of a job"
    )
    job_stale_after_seconds: int = Field(
        default=60,
        ge=2,
        description="A running job silent this long is taken over by another worker (seconds)",
    )
    broker_heartbeat_timeout_ms: int = Field(
        default=30_000,
        ge=1_000,
        description="Redis: a worker silent this long is dead; its messages are redelivered",
    )
    broker_maintenance_chance: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Redis: fetches per million that also look for dead workers' messages",
    )
    graphiql: bool = Field(default=True, description="Serve GraphiQL at /graphql")
    introspection: bool = Field(default=True, description="Allow schema introspection")
    max_page_size: int = Field(default=500, ge=1, le=10_000, description="Largest connection page")
    # Access control (see docs/access.md). Rates are "<count>/<second|minute|hour|day>".
    rate_limit_enabled: bool = Field(default=True, description="Enforce the rate limits below")
    rate_limit_anonymous: str = Field(
        default="60/minute", description="Requests per client address without an API key"
    )
    rate_limit_partner: str = Field(default="600/minute", description="Requests per partner key")
    rate_limit_operations: str = Field(
        default="1200/minute", description="Requests per operations key"
    )
    rate_limit_admin: str = Field(default="1200/minute", description="Requests per admin key")
    query_cost_anonymous: int = Field(
        default=10_000, ge=1, description="Largest estimated cost of one query without a key"
    )
    query_cost_partner: int = Field(default=25_000, ge=1, description="Query cost budget, partner")
    query_cost_operations: int = Field(
        default=50_000, ge=1, description="Query cost budget, operations"
    )
    query_cost_admin: int = Field(default=100_000, ge=1, description="Query cost budget, admin")
    change_retention_days: int = Field(
        default=30,
        ge=1,
        description="Change-feed events are kept this long; an older cursor must re-export",
    )
    export_retention_hours: int = Field(
        default=72,
        ge=1,
        description="Export files can be downloaded this long (at most the file retention)",
    )
    export_max_running_per_key: int = Field(
        default=2, ge=1, description="Exports one key may have queued or running at a time"
    )
    rate_limit_loopback: bool = Field(
        default=False,
        description="Rate-limit callers on the loopback address in the embedded runtime too",
    )
    compiled_plans: bool = Field(
        default=True,
        description=(
            "On PostgreSQL, answer the queries a compiled plan covers (cooperative profiles"
            " and pages) with one statement that builds the JSON"
        ),
    )
    http_cache_max_age: int = Field(
        default=30,
        ge=0,
        description="Cache-Control max-age (seconds) of cacheable answers (public when anonymous)",
    )
    cors_origins: str = Field(
        default="*",
        description="Origins browsers may call the API from, comma-separated; * for any",
    )
    request_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest request body that is not a file upload (multipart), in bytes",
    )

    @model_validator(mode="after")
    def _exports_outlive_no_file(self) -> Settings:
        # Export files live in the file store, which deletes them after its own retention.
        if self.export_retention_hours > self.file_retention_days * 24:
            raise ValueError(
                "KOPDES_EXPORT_RETENTION_HOURS must not exceed KOPDES_FILE_RETENTION_DAYS x 24"
                " (export files are deleted with the file store's retention)"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        backend = make_url(value).get_backend_name()
        if backend not in {"sqlite", "postgresql"}:
            raise ValueError(f"unsupported database {backend!r}: use sqlite:// or postgresql://")
        return value

    @field_validator(
        "rate_limit_anonymous", "rate_limit_partner", "rate_limit_operations", "rate_limit_admin"
    )
    @classmethod
    def _rate_is_parseable(cls, value: str) -> str:
        parse_rate(value)  # raises ValueError naming what is wrong
        return value

    @field_validator("redis_url")
    @classmethod
    def _empty_redis_is_unset(cls, value: str | None) -> str | None:
        return value or None

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def embedded(self) -> bool:
        """True when no Redis is configured: the worker runs in threads inside ``serve``."""
        return self.redis_url is None

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def sync_database_url(self) -> URL:
        return driver_url(self.database_url, asynchronous=False)

    @property
    def async_database_url(self) -> URL:
        return driver_url(self.database_url, asynchronous=True)


def driver_url(url: str | URL, *, asynchronous: bool) -> URL:
    """Pick the driver for a plain database URL: psycopg 3 for both modes, aiosqlite for async."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite" if asynchronous else "sqlite+pysqlite")
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    raise ValueError(f"unsupported database {backend!r}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment between sessions)."""
    get_settings.cache_clear()
