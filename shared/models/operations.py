"""Import jobs, coverage figures, the data version, API keys and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, JSONType, UTCDateTime, str_enum, utcnow
from shared.models.enums import JobKind, JobPhase, JobStatus, Role


class ImportJob(Base):
    """One asynchronous job: a village-list or registry import, or a coverage recalculation."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind, "job_kind"))
    status: Mapped[JobStatus] = mapped_column(
        str_enum(JobStatus, "job_status"), default=JobStatus.queued
    )
    phase: Mapped[JobPhase] = mapped_column(
        str_enum(JobPhase, "job_phase"), default=JobPhase.queued
    )
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Where the input lies (a path the worker can read) and what it was.
    source_path: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str | None] = mapped_column(String(300))
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    rows_done: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    rows_total: Mapped[int | None] = mapped_column(Integer)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    diff: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    warning_count: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # A name-keyed registry import's reconciliation report (shared.registry.placing).
    reconciliation: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    message: Mapped[str | None] = mapped_column(Text)  # outcome in a sentence, or failure reason
    timings: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    requested_by: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    # host:pid of the worker that took the job last (which process to look at when it hangs).
    worker_id: Mapped[str | None] = mapped_column(String(100))
    edition_id: Mapped[int | None] = mapped_column(ForeignKey("editions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("rows_done >= 0", name="rows_done_not_negative"),
        Index("ix_import_jobs_kind_status", "kind", "status"),
        Index("ix_import_jobs_created_at", "created_at"),
        Index("ix_import_jobs_sha", "kind", "source_sha256"),
    )


class DataState(Base):
    """A single row: the version of the data, bumped by every change coverage depends on.

    Coverage figures record the version they reflect; figures whose version is behind this
    one are stale. ``coverage_requested_version`` coalesces bursts of changes into one run.
    """

    __tablename__ = "data_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    coverage_version: Mapped[int] = mapped_column(BigInteger, default=-1, server_default=text("-1"))
    coverage_requested_version: Mapped[int] = mapped_column(
        BigInteger, default=-1, server_default=text("-1")
    )
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The change feed (shared.changes): the last event's sequence number, and the highest one
    # deleted by retention (a cursor below it is too old to continue from).
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default=text("0"))
    changes_pruned_through: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default=text("0")
    )
    coverage_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


COVERAGE_COLUMNS = (
    "active_villages",
    "desa_count",
    "kelurahan_count",
    "covered_villages",
    "covered_formed",
    "covered_legal_entity",
    "covered_operational",
    "cooperatives",
    "kdmp",
    "kkmp",
    "mergers",
    "mockups",
    "retired_villages_with_cooperatives",
    "proposals_total",
    "proposals_submitted",
    "proposals_approved",
    "proposals_rejected",
    "proposals_formed",
)


class _CoverageFigures:
    """Columns shared by the current figures and their dated snapshots."""

    level: Mapped[str] = mapped_column(String(10))
    active_villages: Mapped[int] = mapped_column(Integer, default=0)
    desa_count: Mapped[int] = mapped_column(Integer, default=0)
    kelurahan_count: Mapped[int] = mapped_column(Integer, default=0)
    covered_villages: Mapped[int] = mapped_column(Integer, default=0)
    covered_formed: Mapped[int] = mapped_column(Integer, default=0)
    covered_legal_entity: Mapped[int] = mapped_column(Integer, default=0)
    covered_operational: Mapped[int] = mapped_column(Integer, default=0)
    coverage_percent: Mapped[float] = mapped_column(Float, default=0.0)
    cooperatives: Mapped[int] = mapped_column(Integer, default=0)
    kdmp: Mapped[int] = mapped_column(Integer, default=0)
    kkmp: Mapped[int] = mapped_column(Integer, default=0)
    mergers: Mapped[int] = mapped_column(Integer, default=0)
    mockups: Mapped[int] = mapped_column(Integer, default=0)
    retired_villages_with_cooperatives: Mapped[int] = mapped_column(Integer, default=0)
    proposals_total: Mapped[int] = mapped_column(Integer, default=0)
    proposals_submitted: Mapped[int] = mapped_column(Integer, default=0)
    proposals_approved: Mapped[int] = mapped_column(Integer, default=0)
    proposals_rejected: Mapped[int] = mapped_column(Integer, default=0)
    proposals_formed: Mapped[int] = mapped_column(Integer, default=0)
    outlets: Mapped[dict[str, int]] = mapped_column(JSONType, default=dict)
    data_version: Mapped[int] = mapped_column(BigInteger)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CoverageFigure(_CoverageFigures, Base):
    """Current coverage for the nation (scope ``""``) and every region, by code."""

    __tablename__ = "coverage_figures"

    scope_code: Mapped[str] = mapped_column(String(13), primary_key=True)

    __table_args__ = (
        CheckConstraint(
            "level IN ('nation', 'province', 'regency', 'district', 'village')", name="level_known"
        ),
        Index("ix_coverage_figures_level", "level"),
    )


class CoverageSnapshot(_CoverageFigures, Base):
    """Coverage as it was after one recalculation; appended every run, for trends."""

    __tablename__ = "coverage_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope_code: Mapped[str] = mapped_column(String(13))

    __table_args__ = (
        CheckConstraint(
            "level IN ('nation', 'province', 'regency', 'district', 'village')", name="level_known"
        ),
        Index("ix_coverage_snapshots_scope_time", "scope_code", "computed_at"),
    )


class ApiKey(Base):
    """An API key. Only a hash of the secret is kept; the prefix finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role, "api_role"))
    province_code: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("role <> 'anonymous'", name="not_anonymous"),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
    )


class AuditEntry(Base):
    """Who changed what: written in the same transaction as the change."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="RESTRICT"))
    actor: Mapped[str] = mapped_column(String(200))  # key name, "cli:<user>" or "system"
    operation: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_operation", "operation"),
        Index("ix_audit_log_target", "target_type", "target_id"),
        Index("ix_audit_log_api_key_id", "api_key_id"),
    )


__all__ = [
    "COVERAGE_COLUMNS",
    "ApiKey",
    "AuditEntry",
    "CoverageFigure",
    "CoverageSnapshot",
    "DataState",
    "ImportJob",
]
