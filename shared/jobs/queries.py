"""Read-side SQL for jobs: one by id and the filtered list, newest first, as plain rows (the
job table's columns by name; see ``shared.reads``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select

from shared.models import ImportJob, JobKind, JobStatus
from shared.reads import Page, Read, keyset_page, read_scalar

JOB_COLUMNS = tuple(ImportJob.__table__.columns)


@dataclass(frozen=True, slots=True)
class JobFilter:
    kind: JobKind | None = None
    status: JobStatus | None = None
    requested_by: str | None = None  # exactly as the job shows it (key:<name>, cli:<user>)


def job_conditions(f: JobFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if f.kind is not None:
        conditions.append(ImportJob.kind == f.kind)
    if f.status is not None:
        conditions.append(ImportJob.status == f.status)
    if f.requested_by is not None:
        conditions.append(ImportJob.requested_by == f.requested_by)
    return conditions


def jobs_by_id(ids: Sequence[int]) -> Read[list[Row[Any]]]:
    return Read(select(*JOB_COLUMNS).where(ImportJob.id.in_(ids)), list)


def job_page(f: JobFilter, *, before: int | None, size: int) -> Read[Page[Row[Any]]]:
    """The jobs the filter keeps, newest first, older than the id ``before``."""
    statement = select(*JOB_COLUMNS).where(*job_conditions(f))
    key = None if before is None else [before]
    return keyset_page(statement, [ImportJob.id], key, size, None, descending=True)


def job_count(f: JobFilter) -> Read[int]:
    statement = select(func.count()).select_from(ImportJob).where(*job_conditions(f))
    return read_scalar(statement).then(int)
