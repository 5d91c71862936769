"""First start of the embedded runtime: load the bundled official list into an empty database."""

from __future__ import annotations

import logging

from sqlalchemy import exists, select

from shared.db import Database
from shared.jobs.actors import VILLAGE_IMPORT
from shared.jobs.queue import enqueue_job
from shared.models import ImportJob, JobKind, JobStatus, Region
from shared.villages.service import create_bundled_job

log = logging.getLogger(__name__)


def queue_bundled_import_if_empty(db: Database) -> int | None:
    """Queue an import of the bundled 2025 edition when no region exists; returns the job id.

    A village job already queued or running (a previous start that was stopped early) is
    left to finish instead of queueing a second one.
    """
    with db.sync_session() as session:
        if session.execute(select(exists().where(Region.id.is_not(None)))).scalar():
            return None
        pending = session.execute(
            select(ImportJob.id).where(
                ImportJob.kind == JobKind.villages,
                ImportJob.status.in_((JobStatus.queued, JobStatus.running)),
            )
        ).first()
    if pending is not None:
        # A start that was stopped early; ``recover_interrupted_jobs`` (run by ``serve`` just
        # before this) has queued it again.
        log.info("village import job %s is already pending; not queueing another", pending.id)
        return int(pending.id)
    job = create_bundled_job(db)
    enqueue_job(VILLAGE_IMPORT, job.id)
    log.info("queued job %s: import of the bundled village list (edition 2025)", job.id)
    return job.id
