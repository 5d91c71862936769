"""Export jobs for callers: start one, check who may download it, record the download, and
let expired files go.

An export is a job (kind ``export``) whose parameters say what to export for whom: the
dataset, the format, the filter, and the caller's scope (a partner key's province), fixed
when it is asked for. Its file may be downloaded by the key that asked for it, or by an
administrator, for ``KOPDES_EXPORT_RETENTION_HOURS`` after it finished; to anyone else it
does not exist.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from shared.audit import Actor, record
from shared.config import get_settings
from shared.cooperatives.queries import CooperativeFilter
from shared.db import Database
from shared.errors import Conflict, InvalidInput
from shared.exports.datasets import Dataset, ExportSpec
from shared.exports.formats import Format, check_available
from shared.jobs.actors import EXPORT
from shared.jobs.queue import enqueue_job
from shared.jobs.store import create_job
from shared.models import (
    REGION_CODE,
    CooperativeKind,
    ImportJob,
    JobKind,
    JobStatus,
    OutletType,
    ProposalStatus,
    Scheme,
    Stage,
    utcnow,
)

_FILTER_TYPES: dict[str, type[Any]] = {
    "stage": Stage,
    "scheme": Scheme,
    "kind": CooperativeKind,
    "outlet_type": OutletType,
}


@dataclass(frozen=True, slots=True)
class ExportRequest:
    dataset: Dataset
    format: Format
    spec: ExportSpec


def checked(
    dataset: Dataset,
    file_format: Format,
    filter: CooperativeFilter | None = None,
    *,
    proposal_status: ProposalStatus | None = None,
    scope: str | None = None,
) -> ExportRequest:
    """A request whose filter fits the dataset; refusals name the field."""
    f = filter or CooperativeFilter()
    if f.region_code is not None and not REGION_CODE.fullmatch(f.region_code):
        raise InvalidInput("filter.region_code", f"{f.region_code!r} is not a region code")
    if dataset is not Dataset.COOPERATIVES:
        for name, value in asdict(f).items():
            if value is not None and name != "region_code":
                raise InvalidInput(f"filter.{name}", "applies to the COOPERATIVES dataset only")
    if proposal_status is not None and dataset is not Dataset.PROPOSALS:
        raise InvalidInput("proposal_status", "applies to the PROPOSALS dataset only")
    check_available(file_format)
    spec = ExportSpec(dataset, f, proposal_status, scope)
    return ExportRequest(dataset, file_format, spec)


def _jsonable(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def params_of(request: ExportRequest) -> dict[str, Any]:
    spec = request.spec
    return {
        "dataset": request.dataset.value,
        "format": request.format.value,
        "filter": {k: _jsonable(v) for k, v in asdict(spec.filter).items() if v is not None},
        "proposal_status": _jsonable(spec.proposal_status),
        "scope": spec.scope,
    }


def request_of(params: dict[str, Any]) -> ExportRequest:
    """The request a job's parameters describe (the worker's side of ``params_of``)."""
    values = {
        name: _FILTER_TYPES[name](value) if name in _FILTER_TYPES else value
        for name, value in (params.get("filter") or {}).items()
    }
    status = params.get("proposal_status")
    spec = ExportSpec(
        Dataset(params["dataset"]),
        CooperativeFilter(**values),
        ProposalStatus(status) if status else None,
        params.get("scope"),
    )
    return ExportRequest(spec.dataset, Format(params["format"]), spec)


def _running_for(session: Session, api_key_id: int) -> int:
    query = select(func.count()).where(
        ImportJob.kind == JobKind.export,
        ImportJob.status.in_((JobStatus.queued, JobStatus.running)),
        ImportJob.params["api_key_id"].as_integer() == api_key_id,
    )
    return int(session.execute(query).scalar_one())


def create_export(session: Session, actor: Actor, request: ExportRequest) -> ImportJob:
    """The export's job, in the caller's transaction (audited as asked for by ``actor``).

    A key has at most ``KOPDES_EXPORT_MAX_RUNNING_PER_KEY`` exports queued or running: an
    export costs the worker seconds, so one key cannot fill its queue.
    """
    limit = get_settings().export_max_running_per_key
    if actor.api_key_id is not None and _running_for(session, actor.api_key_id) >= limit:
        raise Conflict(
            None,
            f"this key already has {limit} exports queued or running; download them or wait"
            " for them to finish",
        )
    name = f"{request.dataset.value.lower()}.{request.format.value.lower()}"
    return create_job(
        session, JobKind.export, source_name=name, params=params_of(request), actor=actor
    )


def start_export(db: Database, actor: Actor, request: ExportRequest) -> ImportJob:
    """Queue an export for the worker (enqueued after its job row has committed)."""
    with db.transaction() as session:
        job = create_export(session, actor, request)
    enqueue_job(EXPORT, job.id)
    return job


def retention() -> timedelta:
    return timedelta(hours=get_settings().export_retention_hours)


def expires_at(job: ImportJob) -> datetime | None:
    """When a finished export's file goes (None before it has finished or when it failed)."""
    if job.status != JobStatus.succeeded or job.finished_at is None:
        return None
    return job.finished_at + retention()


def file_of(job: ImportJob) -> int | None:
    """The stored file (``shared.files``) of an export that may still be downloaded."""
    deadline = expires_at(job)
    if deadline is None or deadline <= utcnow():
        return None
    ref = (job.counts or {}).get("file")
    return ref if isinstance(ref, int) else None


def owned_by(job: ImportJob, api_key_id: int | None, *, admin: bool) -> bool:
    """Whether the caller may see this export: the key that asked for it, or an admin."""
    if job.kind != JobKind.export:
        return False
    return admin or (api_key_id is not None and (job.params or {}).get("api_key_id") == api_key_id)


def record_download(session: Session, actor: Actor, job: ImportJob) -> None:
    manifest = (job.counts or {}).get("manifest") or {}
    record(
        session,
        actor,
        "export.download",
        target_type="import_job",
        target_id=job.id,
        after={k: manifest.get(k) for k in ("dataset", "format", "scope", "row_count", "sha256")},
    )


def expire(session: Session, now: datetime | None = None) -> int:
    """Exports past their retention lose their file: the job no longer names it (so nobody can
    fetch it, whatever the clock says), and the file store deletes the bytes with its own
    retention (``KOPDES_FILE_RETENTION_DAYS``; the same bytes may be another job's too).
    Returns how many exports expired now."""
    cutoff = (now or utcnow()) - retention()
    expired = session.execute(
        select(ImportJob.id, ImportJob.counts).where(
            ImportJob.kind == JobKind.export,
            ImportJob.status == JobStatus.succeeded,
            ImportJob.finished_at <= cutoff,
        )
    ).all()
    gone = [(job_id, counts) for job_id, counts in expired if (counts or {}).get("file")]
    for job_id, counts in gone:
        session.execute(
            update(ImportJob).where(ImportJob.id == job_id).values(counts={**counts, "file": None})
        )
    return len(gone)
