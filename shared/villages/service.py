"""Importing an edition of the official list: start a job for the worker, or run one here.

* :func:`start_village_import` stores the inputs in the database for any worker, creates the job
  and, once it has committed, sends it to the ``import_villages`` actor;
* :func:`import_now` and :func:`import_bundled_now` run the same flow in this process (tests,
  demo loaders, benchmarks);
* :func:`job_report` is the finished job as ``kopdes import villages --json`` prints it.

The work itself is the flow in :mod:`shared.villages.flow`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.audit import SYSTEM, Actor
from shared.db import Database
from shared.errors import InvalidInput, NotFound
from shared.imports.files import store_inputs
from shared.imports.report import job_report as common_report
from shared.jobs.actors import VILLAGE_IMPORT as ACTOR
from shared.jobs.queue import enqueue_job
from shared.jobs.runner import run_here
from shared.jobs.store import create_job
from shared.models import Edition, ImportJob, JobKind, JobStatus, StoredFile
from shared.villages.bundled import BUNDLED_EDITION
from shared.villages.diff import CHANGE_KINDS, LEVELS
from shared.villages.edition import EditionInfo
from shared.villages.flow import VILLAGE_IMPORT


class ImportRefused(InvalidInput):
    """The import cannot start (bad arguments): nothing was queued."""


def start_village_import(
    db: Database,
    sources: Sequence[Path],
    *,
    edition: EditionInfo,
    mapping: Path | None = None,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
    enqueue: bool = True,
    allow_mass_retirement: bool = False,
) -> ImportJob:
    """Create a village-list job and (after commit) queue it for the worker.

    The inputs are stored in the database with the job (``shared.files``), so a worker on
    another machine, with only the database and Redis URLs, reads them.
    """
    paths = [Path(s) for s in sources]
    for path in [*paths, *([mapping] if mapping else [])]:
        if not path.exists():
            raise ImportRefused("sources", f"{path} does not exist")
    with db.transaction() as session:
        _check_edition(edition)
        kept = store_inputs(session, paths, mapping=mapping, stored_by=actor.name)
        job = _create(
            session,
            [Path(s) for s in kept.sources],
            edition,
            Path(kept.mapping) if kept.mapping else None,
            dry_run,
            actor,
            files=kept.files,
            allow_mass_retirement=allow_mass_retirement,
        )
    if enqueue:
        enqueue_job(ACTOR, job.id)
    return job


def import_now(
    db: Database,
    sources: list[Path],
    *,
    edition: EditionInfo,
    mapping: Path | None = None,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
    full_compare: bool = False,
    allow_mass_retirement: bool = False,
) -> ImportJob:
    """Run a whole import in this process and return its finished job.

    The files are read where they are (no copy). A failure of the input ends the job
    ``failed``; an unexpected exception marks it failed and is re-raised.
    """
    with db.transaction() as session:
        job = _create(
            session,
            sources,
            edition,
            mapping,
            dry_run,
            actor,
            full_compare=full_compare,
            allow_mass_retirement=allow_mass_retirement,
        )
    return run_here(db, job.id, VILLAGE_IMPORT)


def create_bundled_job(
    db: Database,
    *,
    edition: EditionInfo = BUNDLED_EDITION,
    actor: Actor = SYSTEM,
    dry_run: bool = False,
    full_compare: bool = False,
    allow_mass_retirement: bool = False,
) -> ImportJob:
    """A job for the list shipped in the package (found at run time on the worker's side)."""
    with db.transaction() as session:
        return _create(
            session,
            [],
            edition,
            None,
            dry_run,
            actor,
            bundled=True,
            full_compare=full_compare,
            allow_mass_retirement=allow_mass_retirement,
        )


def import_bundled_now(
    db: Database, *, actor: Actor = SYSTEM, full_compare: bool = False
) -> ImportJob:
    """Import the bundled edition in this process; returns the finished job."""
    job = create_bundled_job(db, actor=actor, full_compare=full_compare)
    return run_here(db, job.id, VILLAGE_IMPORT)


def _create(
    session: Session,
    sources: Sequence[Path],
    edition: EditionInfo,
    mapping: Path | None,
    dry_run: bool,
    actor: Actor,
    *,
    bundled: bool = False,
    full_compare: bool = False,
    files: list[dict[str, Any]] | None = None,
    allow_mass_retirement: bool = False,
    restore: bool = False,
) -> ImportJob:
    _check_edition(edition)
    if not bundled and not sources:
        raise ImportRefused("sources", "no input file given")
    names = ", ".join(s.name for s in sources) or "bundled edition"
    source_path = (
        str(sources[0].parent) if len(sources) > 1 else (str(sources[0]) if sources else None)
    )
    return create_job(
        session,
        JobKind.villages,
        source_path=source_path,
        source_name=names[:300],
        params={
            "edition": EditionInfo(
                edition.label.strip(), edition.decree, edition.published_on
            ).as_params(),
            "sources": [str(s) for s in sources],
            "mapping": str(mapping) if mapping else None,
            "bundled": bundled,
            # Read and compare even when the file is the current edition's (benchmarks).
            "full_compare": full_compare,
            "files": files or [],
            "allow_mass_retirement": allow_mass_retirement,
            "restore": restore,
        },
        dry_run=dry_run,
        actor=actor,
    )


def start_edition_restore(
    db: Database,
    label: str,
    *,
    actor: Actor = SYSTEM,
    allow_mass_retirement: bool = False,
    enqueue: bool = True,
) -> ImportJob:
    """Make an earlier edition current again: a job that reads the edition's own file again
    (kept in the database, or the bundled list), compares it with the regions now and swaps
    it in as one transaction, with its diff and audit entry, then coverage is recalculated.

    Refused (``NotFound``, ``InvalidInput``) when there is no such edition, it is current
    already, or its file is no longer stored (``KOPDES_FILE_RETENTION_DAYS``).
    """
    with db.transaction() as session:
        edition = session.execute(
            select(Edition).where(Edition.label == label.strip())
        ).scalar_one_or_none()
        if edition is None:
            raise NotFound("label", f"no edition {label!r} was imported")
        if edition.is_current:
            raise InvalidInput("label", f"edition {edition.label} is already the current edition")
        made = session.execute(
            select(ImportJob)
            .where(
                ImportJob.kind == JobKind.villages,
                ImportJob.edition_id == edition.id,
                ImportJob.status == JobStatus.succeeded,
                ImportJob.dry_run.is_(False),
            )
            .order_by(ImportJob.id)
            .limit(1)
        ).scalar_one_or_none()
        params: dict[str, Any] = (made.params or {}) if made is not None else {}
        files = params.get("files") or []
        stored = set(
            session.execute(
                select(StoredFile.id).where(StoredFile.id.in_([f["id"] for f in files]))
            ).scalars()
        )
        bundled = bool(params.get("bundled"))
        local = [Path(s) for s in params.get("sources") or []]
        if made is None or (
            not bundled
            and (
                (files and len(stored) < len(files))
                or (not files and not all(p.exists() for p in local))
            )
        ):
            raise InvalidInput(
                "label",
                f"the file of edition {edition.label} is no longer kept (files are kept"
                f" {db.settings.file_retention_days} days): import it again under a new label",
            )
        info = EditionInfo(edition.label, edition.decree, edition.published_on)
        job = _create(
            session,
            local,
            info,
            None,
            False,
            actor,
            bundled=bundled,
            files=files,
            allow_mass_retirement=allow_mass_retirement,
            restore=True,
        )
    if enqueue:
        enqueue_job(ACTOR, job.id)
    return job


def _check_edition(edition: EditionInfo) -> None:
    if not edition.label.strip():
        raise ImportRefused("edition", "an import needs an edition label (e.g. --edition 2025)")


def job_report(job: ImportJob) -> dict[str, Any]:
    """The final report of a village job, as the CLI's ``--json`` prints it."""
    diff = job.diff or {}
    return {
        "job_id": job.id,
        **common_report(job),
        "edition": (job.params or {}).get("edition") or {},
        "sha256": job.source_sha256,
        "diff": {
            lvl.value: {k: int((diff.get(lvl.value) or {}).get(k, 0)) for k in CHANGE_KINDS}
            for lvl in LEVELS
        },
        "recoded": int((job.counts or {}).get("recoded", 0)),
    }


__all__ = [
    "EditionInfo",
    "ImportRefused",
    "create_bundled_job",
    "import_bundled_now",
    "import_now",
    "job_report",
    "start_edition_restore",
    "start_village_import",
]
