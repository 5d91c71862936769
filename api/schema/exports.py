"""Exports over GraphQL: ``startExport`` queues one, ``exportJob`` follows it to its file.

Partners, operations and administrators may export; the caller's scope is fixed into the job
when it is asked for, so a partner's file never holds a row outside its province. An export is
visible (and downloadable, at ``downloadUrl``) to the key that asked for it and to
administrators only: to anyone else it does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.permissions import IsPartner
from api.schema.common import JSON, Node, actor_of, global_id, int_id
from api.schema.cooperatives.queries import CooperativeFilter
from api.schema.jobs import JobProgress
from api.schema.user_errors import UserError, user_error
from shared.copying import fields_from
from shared.errors import ServiceError
from shared.exports import service
from shared.exports.datasets import Dataset
from shared.exports.formats import Format
from shared.models import ImportJob as ImportJobModel
from shared.models import JobStatus, ProposalStatus, Role

strawberry.enum(
    Dataset,
    name="ExportDataset",
    description="COOPERATIVES (profiles), PROPOSALS, or COVERAGE (every region's figures).",
)
strawberry.enum(
    Format,
    name="ExportFormat",
    description="CSV (UTF-8, lists joined with ;), NDJSON (nested), XLSX, or PARQUET.",
)

DOWNLOAD_PATH = "/exports/{id}"


@strawberry.input(description="What to export.")
class StartExportInput:
    dataset: Dataset = strawberry.field(description="Which records.")
    format: Format = strawberry.field(description="Which file format.")
    filter: CooperativeFilter | None = strawberry.field(
        default=None,
        description="The cooperative filter of `cooperatives` (COOPERATIVES); its regionCode"
        " also narrows PROPOSALS and COVERAGE. The key's province scope always applies.",
    )
    proposal_status: ProposalStatus | None = strawberry.field(
        default=None, description="PROPOSALS only: in this status."
    )


@strawberry.type(description="An export: a job that writes a file, then the file.")
class ExportJob(Node):
    database_id: int = strawberry.field(description="The numeric job id.")
    dataset: Dataset = strawberry.field(description="Which records.")
    format: Format = strawberry.field(description="Which file format.")
    status: JobStatus = strawberry.field(description="queued, running, succeeded or failed.")
    message: str | None = strawberry.field(description="Outcome, or the reason it failed.")
    progress: JobProgress = strawberry.field(description="Rows written so far.")
    manifest: JSON | None = strawberry.field(
        description="Once written: dataset, filter, scope, data version, edition, generated"
        " at, row count, SHA-256, columns, and changesCursor (continue the change feed from"
        " it)."
    )
    download_url: str | None = strawberry.field(
        description="Where to GET the file with the same key, until expiresAt; null before the"
        " file exists and after it expired."
    )
    expires_at: datetime | None = strawberry.field(description="When the file goes.")
    created_at: datetime = strawberry.field(description="When it was asked for.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")


def to_export(job: ImportJobModel) -> ExportJob:
    total = job.rows_total
    counts = job.counts or {}
    ready = service.file_of(job) is not None
    return ExportJob(
        id=global_id("ExportJob", job.id),
        database_id=job.id,
        dataset=Dataset(job.params["dataset"]),
        format=Format(job.params["format"]),
        status=job.status,
        message=job.message,
        progress=fields_from(
            JobProgress, job, percent=round(100.0 * job.rows_done / total, 1) if total else None
        ),
        manifest=JSON(counts["manifest"]) if counts.get("manifest") else None,
        download_url=DOWNLOAD_PATH.format(id=job.id) if ready else None,
        expires_at=service.expires_at(job),
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


@strawberry.type(description="The outcome of asking for an export.")
class ExportJobPayload:
    job: ExportJob | None = strawberry.field(description="The queued export; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.type
class ExportQuery:
    @strawberry.field(
        description="One export of this key (any, for administrators); null otherwise.",
        permission_classes=[IsPartner],
    )
    async def export_job(self, info: Info[Context, Any], id: strawberry.ID) -> ExportJob | None:
        principal = info.context.principal
        rows = await loaders.scalars(
            info.context,
            select(ImportJobModel).where(ImportJobModel.id == int_id(id, "ExportJob")),
        )
        admin = principal.at_least(Role.admin)
        if not rows or not service.owned_by(rows[0], principal.api_key_id, admin=admin):
            return None
        return to_export(rows[0])


@strawberry.type
class ExportMutation:
    @strawberry.mutation(
        description="Queue an export of a dataset in a format, within the key's scope"
        " (partners, operations, administrators); follow it with `exportJob`.",
        permission_classes=[IsPartner],
    )
    async def start_export(
        self, info: Info[Context, Any], input: StartExportInput
    ) -> ExportJobPayload:
        ctx = info.context
        try:
            request = service.checked(
                input.dataset,
                input.format,
                input.filter.spec() if input.filter else None,
                proposal_status=input.proposal_status,
                scope=ctx.principal.province_code,
            )
            job = await run_in_threadpool(service.start_export, ctx.db, actor_of(info), request)
        except ServiceError as exc:
            return ExportJobPayload(job=None, user_errors=[user_error(exc)])
        return ExportJobPayload(job=to_export(job), user_errors=[])


__all__ = ["ExportJob", "ExportMutation", "ExportQuery", "to_export"]
