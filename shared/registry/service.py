"""Registry and proposal imports: start one for the worker, or run one here and now.

* :func:`start_cooperative_import` stores the file in the database for any worker
  (``shared.files``), creates the job and sends it to the ``import_cooperatives``
  actor once the job has committed;
* :func:`import_now` runs the same flow in this process (tests, ``kopdes demo``, ``--wait`` in
  the embedded runtime);
* :func:`job_report` is the finished job as ``kopdes import cooperatives --json`` prints it.

The work itself is the flow in :mod:`shared.registry.flow`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict, Unpack

from sqlalchemy.orm import Session

from shared.audit import SYSTEM, Actor
from shared.db import Database
from shared.errors import InvalidInput
from shared.files.store import storable_name
from shared.imports.files import file_sha256, store_inputs
from shared.imports.report import job_report as common_report
from shared.jobs.actors import REGISTRY_IMPORT as ACTOR
from shared.jobs.queue import enqueue_job
from shared.jobs.runner import run_here
from shared.jobs.store import create_job
from shared.models import ImportJob, JobKind
from shared.registry.flow import REGISTRY_IMPORT, FileFormat
from shared.registry.placing import SOURCE_NAME

# What the report shows of each problem (a record file's problems name no file).
REPORTED_KEYS = ("line", "field", "code", "message")


class Options(TypedDict, total=False):
    file_format: FileFormat  # registry (the default) or proposals
    dry_run: bool  # check and count, write nothing
    source_name: str | None  # the file's name as the user knows it (an upload's)
    # Name-keyed registry files (docs/import-formats.md):
    source: str | None  # whose ids the file's place ids are (its crosswalk); simkopdes
    min_match_rate: float | None  # instead of KOPDES_MIN_MATCH_RATE
    allow_low_match: bool  # import even when a level matches below the minimum
    overrides: Path | None  # instead of KOPDES_PLACE_OVERRIDES


def start_cooperative_import(
    db: Database, path: Path, actor: Actor = SYSTEM, **options: Unpack[Options]
) -> ImportJob:
    """Create an import job for the worker and enqueue it once the job has committed."""
    overrides = options.get("overrides") or db.settings.place_overrides
    with db.transaction() as session:
        kept = store_inputs(session, [path], mapping=overrides, stored_by=actor.name)
        job = _create(
            session,
            Path(kept.sources[0]),
            actor,
            {"source_name": path.name, **options, "overrides": _relative(kept.mapping)},
            files=kept.files,
            sha256=kept.files[0]["sha256"] if kept.files else None,
        )
    enqueue_job(ACTOR, job.id)
    return job


def import_now(
    db: Database, path: Path, *, actor: Actor = SYSTEM, **options: Unpack[Options]
) -> ImportJob:
    """Import a file in this process, synchronously; returns the finished job."""
    overrides = options.get("overrides") or db.settings.place_overrides
    with db.transaction() as session:
        sha = file_sha256(path) if path.is_file() else None
        job = _create(session, path, actor, {**options, "overrides": overrides}, sha256=sha)
    return run_here(db, job.id, REGISTRY_IMPORT)


def _create(
    session: Session,
    path: Path,
    actor: Actor,
    options: Options,
    *,
    files: list[dict[str, Any]] | None = None,
    sha256: str | None,
) -> ImportJob:
    file_format = options.get("file_format", FileFormat.registry)
    params: dict[str, Any] = {"format": file_format.value, "files": files or []}
    params.update(_place_params(options))
    return create_job(
        session,
        JobKind.cooperatives,
        source_path=str(path),
        source_name=storable_name(options.get("source_name") or path.name),
        source_sha256=sha256,
        params=params,
        dry_run=options.get("dry_run", False),
        actor=actor,
    )


def _relative(path: str | None) -> Path | None:
    return Path(path) if path else None


def _place_params(options: Options) -> dict[str, Any]:
    """The job parameters of a name-keyed file's reconciliation, checked."""
    params: dict[str, Any] = {}
    source = options.get("source")
    if source:
        if not SOURCE_NAME.match(source):
            raise InvalidInput("source", f"{source!r}: lower-case letters, digits, - and _ only")
        params["source"] = source
    rate = options.get("min_match_rate")
    if rate is not None:
        if not 0.0 <= rate <= 1.0:
            raise InvalidInput("min_match_rate", f"{rate} is not between 0 and 1")
        params["min_match_rate"] = rate
    if options.get("allow_low_match"):
        params["allow_low_match"] = True
    overrides = options.get("overrides")
    if overrides is not None:
        params["overrides"] = str(overrides)
    return params


def job_report(job: ImportJob) -> dict[str, Any]:
    """The job as one JSON-able object (``kopdes import cooperatives --json``)."""
    return {
        "id": job.id,
        "format": (job.params or {}).get("format"),
        "counts": job.counts or {},
        **common_report(job, problem_keys=REPORTED_KEYS),
        "reconciliation": job.reconciliation,
    }


__all__ = ["FileFormat", "import_now", "job_report", "start_cooperative_import"]
