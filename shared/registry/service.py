"""Registry and proposal imports as jobs: start one for the worker, or run one here and now.

* :func:`start_cooperative_import` keeps the file where the worker can read it
  (``settings.upload_dir``), creates the job and enqueues it after the commit.
* :func:`import_now` runs the same job in this process (tests, ``kopdes demo``, ``--wait`` in
  the embedded runtime).
* :func:`run_job` is what the ``import_cooperatives`` actor calls.

One import is one transaction: the rows are checked against the database and the differences
written in the same transaction, so a file with any error writes nothing and an exception
mid-way leaves the previous data as it was. The job's outcome (counts, errors, warnings)
commits with the data, or, on failure, in a transaction of its own after the rollback.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.audit import SYSTEM, Actor, record
from shared.coverage.schedule import note_change
from shared.db import Database
from shared.jobs import (
    claim,
    create_job,
    enqueue_job,
    fail,
    finish,
    progress,
    refresh_statistics,
)
from shared.models import ImportJob, JobKind, JobPhase, JobStatus
from shared.registry import cooperatives, proposals
from shared.registry.issues import InvalidFile, Issues

log = logging.getLogger(__name__)

ACTOR_NAME = "import_cooperatives"


class FileFormat(StrEnum):
    registry = "registry"  # one row per cooperative
    proposals = "proposals"  # one row per proposal for a new cooperative


class _Refused(Exception):
    """The file has errors (they are in ``issues``) or this is a dry run: roll back."""


@dataclass(frozen=True, slots=True)
class _JobInput:
    path: Path
    file_format: FileFormat
    dry_run: bool
    actor: Actor
    source_name: str | None
    sha256: str | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keep_for_worker(db: Database, path: Path) -> Path:
    """Copy the input into the uploads folder (the worker may run on another machine)."""
    upload_dir = Path(db.settings.upload_dir).resolve()
    source = path.resolve()
    if source.is_relative_to(upload_dir):
        return source
    upload_dir.mkdir(parents=True, exist_ok=True)
    target = upload_dir / f"{uuid.uuid4().hex[:12]}-{path.name}"
    shutil.copyfile(source, target)
    return target


def _create(
    db: Database,
    path: Path,
    file_format: FileFormat,
    actor: Actor,
    *,
    dry_run: bool,
    source_name: str | None,
) -> ImportJob:
    with db.transaction() as session:
        return create_job(
            session,
            JobKind.cooperatives,
            source_path=str(path),
            source_name=source_name or path.name,
            source_sha256=file_sha256(path) if path.is_file() else None,
            params={"format": file_format.value, "api_key_id": actor.api_key_id},
            dry_run=dry_run,
            actor=actor,
        )


def start_cooperative_import(
    db: Database,
    path: Path,
    actor: Actor = SYSTEM,
    *,
    file_format: FileFormat = FileFormat.registry,
    dry_run: bool = False,
    source_name: str | None = None,
) -> ImportJob:
    """Create an import job for the worker and enqueue it once the job has committed."""
    kept = keep_for_worker(db, path)
    job = _create(
        db, kept, file_format, actor, dry_run=dry_run, source_name=source_name or path.name
    )
    enqueue_job(ACTOR_NAME, job.id)
    return job


def import_now(
    db: Database,
    path: Path,
    *,
    actor: Actor = SYSTEM,
    file_format: FileFormat = FileFormat.registry,
    dry_run: bool = False,
) -> ImportJob:
    """Import a file in this process, synchronously; returns the finished job."""
    job = _create(db, path, file_format, actor, dry_run=dry_run, source_name=path.name)
    return run_now(db, job.id)


def run_now(db: Database, job_id: int) -> ImportJob:
    """Run a created job in this process (no retries: a crash fails the job)."""
    if claim(db, job_id) is not None:
        try:
            run_job(db, job_id)
        except Exception as exc:
            fail(db, job_id, f"{type(exc).__name__}: {exc}")
            raise
        refresh_statistics(db, job_id)
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        return job


def _load_input(db: Database, job_id: int) -> _JobInput:
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        if job is None:
            raise LookupError(f"import job {job_id} does not exist")
        params: dict[str, Any] = job.params or {}
        return _JobInput(
            path=Path(job.source_path or ""),
            file_format=FileFormat(params.get("format", FileFormat.registry.value)),
            dry_run=job.dry_run,
            actor=Actor(
                name=job.requested_by or "system",
                api_key_id=params.get("api_key_id"),
                request_id=job.request_id,
            ),
            source_name=job.source_name,
            sha256=job.source_sha256,
        )


def _issue_fields(issues: Issues) -> dict[str, Any]:
    return {
        "error_count": issues.error_count,
        "errors": [i.as_dict() for i in issues.errors],
        "warning_count": issues.warning_count,
        "warnings": [i.as_dict() for i in issues.warnings],
    }


def run_job(db: Database, job_id: int) -> None:
    """Do a claimed import job: read, check, write, record the outcome."""
    job = _load_input(db, job_id)
    issues = Issues(keep=db.settings.max_reported_errors)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    module: Any = cooperatives if job.file_format == FileFormat.registry else proposals

    progress(db, job_id, phase=JobPhase.reading, rows_done=0)
    try:
        rows = module.parse(job.path, issues, on_rows=lambda n: progress(db, job_id, rows_done=n))
    except InvalidFile:
        rows = []
    timings["reading"] = round(time.perf_counter() - started, 3)
    if issues:
        with db.transaction() as session:
            finish(
                session,
                job_id,
                JobStatus.failed,
                issues.summary(),
                timings=timings,
                **_issue_fields(issues),
            )
        return
    progress(db, job_id, phase=JobPhase.validating, rows_done=len(rows), rows_total=len(rows))
    outcome: dict[str, Any] = {}
    try:
        with db.transaction() as session:
            mark = time.perf_counter()
            plan = module.plan(session, rows, issues)
            timings["validating"] = round(time.perf_counter() - mark, 3)
            if issues:
                raise _Refused
            outcome["counts"] = plan.counts()
            if job.dry_run:
                raise _Refused
            mark = time.perf_counter()
            if plan.changes:
                module.apply(session, plan)
                record(
                    session,
                    job.actor,
                    f"import.{job.file_format.value}",
                    target_type="import_job",
                    target_id=job_id,
                    after={
                        "file": job.source_name,
                        "sha256": job.sha256,
                        **plan.counts(),
                    },
                )
                note_change(session)
            timings["writing"] = round(time.perf_counter() - mark, 3)
            timings["total"] = round(time.perf_counter() - started, 3)
            counts = plan.counts()
            message = (
                f"{counts['created']} created, {counts['updated']} updated,"
                f" {counts['unchanged']} unchanged"
                if plan.changes
                else f"nothing changed: all {counts['rows']} rows match the stored data"
            )
            finish(
                session,
                job_id,
                JobStatus.succeeded,
                message,
                counts=counts,
                timings=timings,
                rows_done=len(rows),
                **_issue_fields(issues),
            )
    except _Refused:
        timings["total"] = round(time.perf_counter() - started, 3)
        with db.transaction() as session:
            if issues:
                finish(
                    session,
                    job_id,
                    JobStatus.failed,
                    issues.summary(),
                    timings=timings,
                    **_issue_fields(issues),
                )
            else:
                counts = outcome["counts"]
                finish(
                    session,
                    job_id,
                    JobStatus.succeeded,
                    f"dry run: would create {counts['created']}, update {counts['updated']},"
                    f" leave {counts['unchanged']} unchanged; nothing was written",
                    counts=counts,
                    timings=timings,
                    **_issue_fields(issues),
                )


def job_report(job: ImportJob) -> dict[str, Any]:
    """The job as one JSON-able object (``kopdes import cooperatives --json``)."""
    return {
        "id": job.id,
        "status": job.status.value,
        "format": (job.params or {}).get("format"),
        "dry_run": job.dry_run,
        "message": job.message,
        "counts": job.counts or {},
        "error_count": job.error_count,
        "errors": job.errors or [],
        "warning_count": job.warning_count,
        "warnings": job.warnings or [],
        "timings": job.timings or {},
    }


__all__ = [
    "ACTOR_NAME",
    "FileFormat",
    "import_now",
    "job_report",
    "keep_for_worker",
    "run_job",
    "run_now",
    "start_cooperative_import",
]
