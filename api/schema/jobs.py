"""Jobs over GraphQL (operations): importing an edition or a registry file, recalculating
coverage, and watching the jobs; the editions of the official list."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncGenerator, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from strawberry.file_uploads import Upload
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.errors import not_found
from api.pagination import Connection, connection_of, decode_cursor, list_connection, page_size
from api.permissions import IsOperations, operations_mutation
from api.schema.common import JSON, Node, actor_of, global_id, int_id
from api.schema.job_diff import (
    SAMPLE_PAGE,
    LevelChanges,
    RegionChangeKind,
    RegionChangeSample,
    change_sample,
    level_changes,
)
from api.schema.reconciliation import ReconciliationReport, to_report
from api.schema.user_errors import UserError, user_error
from api.uploads import save_upload
from shared.copying import fields_from
from shared.coverage.schedule import request_coverage_recompute
from shared.errors import ServiceError
from shared.jobs import queries as job_queries
from shared.jobs.store import FINISHED
from shared.models import Edition as EditionModel
from shared.models import JobKind, JobPhase, JobStatus, RegionLevel
from shared.registry.service import start_cooperative_import
from shared.villages.service import EditionInfo, start_edition_restore, start_village_import

# How often the subscription looks at the job row; progress is written in its own short
# transactions, so a poll sees it as soon as it commits.
POLL_SECONDS = 0.2


@strawberry.type(description="An edition of the official list (a Kepmendagri decree).")
class Edition(Node):
    label: str = strawberry.field(description='Unique label, e.g. "2025".')
    decree: str | None = strawberry.field(description="The decree's number.")
    published_on: date | None = strawberry.field(description="When the decree was adopted.")
    imported_at: datetime = strawberry.field(description="When it was imported here.")
    is_current: bool = strawberry.field(description="The edition regions are counted against.")


def to_edition(row: EditionModel) -> Edition:
    return fields_from(Edition, row, id=global_id("Edition", row.id))


@strawberry.type(description="How far a job has got.")
class JobProgress:
    phase: JobPhase = strawberry.field(description="The current phase.")
    rows_done: int = strawberry.field(description="Rows handled so far.")
    rows_total: int | None = strawberry.field(description="Rows in all, once known.")
    percent: float | None = strawberry.field(description="rowsDone / rowsTotal x 100.")
    heartbeat_at: datetime | None = strawberry.field(description="Last sign of life.")


@strawberry.type(description="A problem found in an import's input: where, what, why.")
class ImportIssue:
    file: str | None = strawberry.field(description="The file (or archive member).")
    line: int | None = strawberry.field(description="Line (CSV) or sheet row (XLSX); 1 = header.")
    field: str | None = strawberry.field(description="The column at fault.")
    value: str | None = strawberry.field(description="The value found.")
    code: str | None = strawberry.field(description="Stable code to match on.")
    message: str = strawberry.field(description="What is wrong, for people.")


def to_issue(raw: dict[str, Any]) -> ImportIssue:
    line = raw.get("line", raw.get("row"))
    return ImportIssue(
        file=raw.get("file"),
        line=int(line) if isinstance(line, int | str) and str(line).isdigit() else None,
        field=raw.get("field"),
        value=None if raw.get("value") is None else str(raw.get("value")),
        code=raw.get("code"),
        message=str(raw.get("message") or raw.get("reason") or raw),
    )


async def queued_job(start: Callable[[], Any]) -> ImportJobPayload:
    """Run a service that queues a job (off the event loop): its job, or its refusal."""
    try:
        job = await run_in_threadpool(start)
    except ServiceError as exc:
        return ImportJobPayload(job=None, user_errors=[user_error(exc)])
    return ImportJobPayload(job=to_job(job), user_errors=[])


def issue_connection(
    items: list[dict[str, Any]], total: int, first: int | None, after: str | None
) -> Connection[ImportIssue]:
    # The kept issues are a short list in the job row: the cursor is a position in it.
    return list_connection(items, first, after, to_issue, total=total)


@strawberry.type(description="An asynchronous job: an import or a coverage recalculation.")
class ImportJob(Node):
    database_id: int = strawberry.field(description="The numeric job id.")
    kind: JobKind = strawberry.field(description="villages, cooperatives or coverage.")
    status: JobStatus = strawberry.field(description="queued, running, succeeded or failed.")
    dry_run: bool = strawberry.field(description="Checked and compared only; nothing written.")
    source_name: str | None = strawberry.field(description="The uploaded file's name.")
    message: str | None = strawberry.field(description="Outcome, or the reason it failed.")
    progress: JobProgress = strawberry.field(description="How far it has got.")
    counts: JSON = strawberry.field(description="Figures of the outcome (rows, changes, ...).")
    diff: JSON | None = strawberry.field(
        description="Summary of what an edition changes: added, renamed, retired per level."
    )
    error_count: int = strawberry.field(description="Errors found (all counted).")
    warning_count: int = strawberry.field(description="Warnings found (all counted).")
    attempts: int = strawberry.field(description="Times a worker took it.")
    requested_by: str | None = strawberry.field(description="Who asked for it.")
    created_at: datetime = strawberry.field(description="When it was requested.")
    started_at: datetime | None = strawberry.field(description="When a worker took it.")
    finished_at: datetime | None = strawberry.field(description="When it ended.")
    timings: JSON = strawberry.field(description="Seconds spent per phase.")
    finished: bool = strawberry.field(description="succeeded or failed.")
    raw_errors: strawberry.Private[list[dict[str, Any]]]
    raw_warnings: strawberry.Private[list[dict[str, Any]]]
    raw_diff: strawberry.Private[dict[str, Any] | None]
    raw_counts: strawberry.Private[dict[str, Any]]
    raw_reconciliation: strawberry.Private[dict[str, Any] | None]

    @strawberry.field(
        description="How a name-keyed registry file's places were reconciled: match rates per"
        " level and every decision that was not exact; null for other jobs."
    )
    def reconciliation(self) -> ReconciliationReport | None:
        return to_report(self.database_id, self.raw_reconciliation)

    @strawberry.field(
        description="What a village import changes, per level, province first (a dry run:"
        " what it would change); empty for other jobs and before the comparison."
    )
    def changes_by_level(self) -> list[LevelChanges]:
        return level_changes(self.raw_diff)

    @strawberry.field(
        description="Regions a village import changes (a dry run: would change): the first"
        " KOPDES_MAX_REPORTED_ERRORS of each kind, by kind (added, renamed, reinstated,"
        " retired); compare with changesByLevel for the totals."
    )
    def change_sample(
        self,
        change: RegionChangeKind | None = None,
        level: RegionLevel | None = None,
        first: int = SAMPLE_PAGE,
    ) -> list[RegionChangeSample]:
        return change_sample(self.raw_counts, change, level, first)

    @strawberry.field(description="The errors kept (the first ones), in pages.")
    def errors(self, first: int | None = None, after: str | None = None) -> Connection[ImportIssue]:
        return issue_connection(self.raw_errors, self.error_count, first, after)

    @strawberry.field(description="The warnings kept (the first ones), in pages.")
    def warnings(
        self, first: int | None = None, after: str | None = None
    ) -> Connection[ImportIssue]:
        return issue_connection(self.raw_warnings, self.warning_count, first, after)


def to_job(job: Any) -> ImportJob:
    """The job of a row read here (columns by name) or of a model a mutation just wrote."""
    total = job.rows_total
    return fields_from(
        ImportJob,
        job,
        id=global_id("ImportJob", job.id),
        database_id=job.id,
        progress=fields_from(
            JobProgress, job, percent=round(100.0 * job.rows_done / total, 1) if total else None
        ),
        counts=JSON(job.counts or {}),
        diff=None if job.diff is None else JSON(job.diff),
        timings=JSON(job.timings or {}),
        finished=job.status in FINISHED,
        raw_errors=list(job.errors or []),
        raw_warnings=list(job.warnings or []),
        raw_diff=job.diff,
        raw_counts=job.counts or {},
        raw_reconciliation=job.reconciliation,
    )


async def load_job(ctx: Context, job_id: int) -> Any:
    """The job's row (its columns by name), or None."""
    rows = await loaders.run(ctx, job_queries.jobs_by_id([job_id]))
    return rows[0] if rows else None


@strawberry.type
class JobQuery:
    @strawberry.field(description="Editions of the official list, newest first.")
    async def editions(self, info: Info[Context, Any]) -> list[Edition]:
        rows = await loaders.scalars(
            info.context,
            select(EditionModel).order_by(EditionModel.imported_at.desc(), EditionModel.id.desc()),
        )
        return [to_edition(r) for r in rows]

    @strawberry.field(
        description="Jobs, newest first (operations).", permission_classes=[IsOperations]
    )
    async def import_jobs(
        self,
        info: Info[Context, Any],
        kind: JobKind | None = None,
        status: JobStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        requested_by: Annotated[
            str | None,
            strawberry.argument(
                description="Only jobs asked for by this requester, exactly as `requestedBy`"
                " shows it (key:<name>, cli:<user>, system)."
            ),
        ] = None,
    ) -> Connection[ImportJob] | None:
        size = page_size(first)
        key = decode_cursor(after, 1)
        spec = job_queries.JobFilter(kind=kind, status=status, requested_by=requested_by)
        ctx = info.context
        read = job_queries.job_page(spec, before=int(key[0]) if key else None, size=size)
        page = await loaders.run(ctx, read)
        count = loaders.count_of(ctx, job_queries.job_count(spec))
        return connection_of(page, lambda r: (r.id,), to_job, after=after, count=count)

    @strawberry.field(
        description="One job with progress, diff and errors (operations).",
        permission_classes=[IsOperations],
    )
    async def import_job(self, info: Info[Context, Any], id: strawberry.ID) -> ImportJob | None:
        job = await load_job(info.context, int_id(id, "ImportJob"))
        return to_job(job) if job else None


@strawberry.type
class JobSubscription:
    @strawberry.subscription(
        description=(
            "A job's state now and after every change, until it has finished (operations)."
        ),
        permission_classes=[IsOperations],
    )
    async def import_job(
        self, info: Info[Context, Any], id: strawberry.ID
    ) -> AsyncGenerator[ImportJob, None]:
        job_id = int_id(id, "ImportJob")
        last: tuple[Any, ...] | None = None
        while True:
            job = await load_job(info.context, job_id)
            if job is None:
                raise not_found(f"no job has id {id}")
            state = (job.status, job.phase, job.rows_done, job.rows_total, job.message)
            if state != last:
                last = state
                yield to_job(job)
            if job.status in FINISHED:
                return
            await asyncio.sleep(POLL_SECONDS)


@strawberry.input(description="Which edition an uploaded village list is.")
class EditionInput:
    label: str = strawberry.field(description='Unique label, e.g. "2025".')
    decree: str | None = strawberry.field(default=None, description="The decree's number.")
    published_on: date | None = strawberry.field(default=None, description="Adoption date.")


@strawberry.input(description="How a name-keyed registry file's places are reconciled.")
class PlaceOptionsInput:
    source: str | None = strawberry.field(
        default=None, description='Whose place ids the file carries (default "simkopdes").'
    )
    min_match_rate: float | None = strawberry.field(
        default=None,
        description="Refuse when a level matches below this share (0-1); default"
        " KOPDES_MIN_MATCH_RATE.",
    )
    allow_low_match: bool = strawberry.field(
        default=False, description="Import even when a level matches below the minimum."
    )
    overrides: Upload | None = strawberry.field(
        default=None, description="CSV source_id,code: codes that win over the names."
    )


@strawberry.type(description="The outcome of starting a job.")
class ImportJobPayload:
    job: ImportJob | None = strawberry.field(description="The queued job; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.type
class JobMutation:
    @operations_mutation(description="Queue a recalculation of all coverage figures (operations).")
    async def recompute_coverage(self, info: Info[Context, Any]) -> ImportJobPayload:
        ctx = info.context
        job = await run_in_threadpool(request_coverage_recompute, ctx.db, actor=actor_of(info))
        return ImportJobPayload(job=to_job(job), user_errors=[])

    @operations_mutation(
        description=(
            "Upload an edition of the official list (a ZIP of the four CSVs, or one file per"
            " call) and queue its import; dryRun checks and compares without writing."
        )
    )
    async def start_village_import(
        self,
        info: Info[Context, Any],
        file: Upload,
        edition: EditionInput,
        dry_run: bool = False,
        mapping: Annotated[
            Upload | None,
            strawberry.argument(
                description=(
                    "CSV old_code,new_code for re-coded villages: their cooperatives and"
                    " proposals move."
                )
            ),
        ] = None,
        allow_mass_retirement: Annotated[
            bool,
            strawberry.argument(
                description=(
                    "Import even if the edition retires more than the threshold share of active"
                    " villages (KOPDES_MASS_RETIREMENT_PERCENT) or is older than the current"
                    " one; without it such an import is refused (a dry run warns)."
                )
            ),
        ] = False,
    ) -> ImportJobPayload:
        ctx = info.context
        with tempfile.TemporaryDirectory(prefix="kopdes-upload-") as tmp:
            folder = Path(tmp)
            source = await save_upload(file, folder)
            mapping_path = None
            if mapping is not None:
                (folder / "mapping").mkdir()
                mapping_path = await save_upload(mapping, folder / "mapping")
            return await queued_job(
                lambda: start_village_import(
                    ctx.db,
                    [source],
                    edition=EditionInfo(edition.label, edition.decree, edition.published_on),
                    mapping=mapping_path,
                    dry_run=dry_run,
                    actor=actor_of(info),
                    allow_mass_retirement=allow_mass_retirement,
                )
            )

    @operations_mutation(
        description=(
            "Make an earlier edition of the official list current again, from its own file"
            " (kept for KOPDES_FILE_RETENTION_DAYS, or the bundled list): one swap, with its"
            " diff, an audit entry and a coverage recalculation (operations)."
        )
    )
    async def restore_edition(
        self, info: Info[Context, Any], label: str, allow_mass_retirement: bool = False
    ) -> ImportJobPayload:
        ctx = info.context
        return await queued_job(
            lambda: start_edition_restore(
                ctx.db,
                label,
                actor=actor_of(info),
                allow_mass_retirement=allow_mass_retirement,
            )
        )

    @operations_mutation(
        description="Upload a registry snapshot (CSV or XLSX; by village codes, or by place"
        " names: a cooperative list or a regional summary) and queue its import (operations)."
    )
    async def start_cooperative_import(
        self,
        info: Info[Context, Any],
        file: Upload,
        dry_run: bool = False,
        places: Annotated[
            PlaceOptionsInput | None,
            strawberry.argument(description="How a name-keyed file's places are reconciled."),
        ] = None,
    ) -> ImportJobPayload:
        ctx = info.context
        given = places or PlaceOptionsInput()
        with tempfile.TemporaryDirectory(prefix="kopdes-upload-") as tmp:
            folder = Path(tmp)
            upload = await save_upload(file, folder)
            overrides = None
            if given.overrides is not None:
                (folder / "overrides").mkdir()
                overrides = await save_upload(given.overrides, folder / "overrides")
            return await queued_job(
                lambda: start_cooperative_import(
                    ctx.db,
                    upload,
                    actor_of(info),
                    dry_run=dry_run,
                    source_name=upload.name,
                    source=given.source,
                    min_match_rate=given.min_match_rate,
                    allow_low_match=given.allow_low_match,
                    overrides=overrides,
                )
            )


__all__ = ["Edition", "ImportJob", "JobMutation", "JobQuery", "JobSubscription", "to_job"]
