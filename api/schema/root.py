"""Root types. Resolvers translate GraphQL into calls of services in ``shared``."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from api.context import Context
from api.limits import AccessGuard
from api.schema.access import AccessMutation, AccessQuery
from shared.jobs import request_coverage_recompute
from shared.models import ImportJob as ImportJobModel


@strawberry.type(description="An asynchronous job: an import or a coverage recalculation.")
class ImportJob:
    id: strawberry.ID = strawberry.field(description="The job's id.")
    kind: str = strawberry.field(description="villages, cooperatives or coverage.")
    status: str = strawberry.field(description="queued, running, succeeded or failed.")
    phase: str = strawberry.field(description="reading, validating, comparing, writing or done.")
    message: str | None = strawberry.field(description="Outcome, or the reason it failed.")
    created_at: datetime = strawberry.field(description="When the job was requested.")
    finished_at: datetime | None = strawberry.field(description="When the job ended.")

    @classmethod
    def from_model(cls, job: ImportJobModel) -> ImportJob:
        return cls(
            id=strawberry.ID(str(job.id)),
            kind=job.kind.value,
            status=job.status.value,
            phase=job.phase.value,
            message=job.message,
            created_at=job.created_at,
            finished_at=job.finished_at,
        )


@strawberry.type(description="Read access.")
class Query(AccessQuery):
    @strawberry.field(description="One job by id.")
    async def import_job(self, info: Info[Context, None], id: strawberry.ID) -> ImportJob | None:
        async with info.context.db.new_async_session() as session:
            job = (
                await session.execute(select(ImportJobModel).where(ImportJobModel.id == int(id)))
            ).scalar_one_or_none()
        return ImportJob.from_model(job) if job else None


@strawberry.type(description="Changes.")
class Mutation(AccessMutation):
    @strawberry.mutation(description="Queue a recalculation of all coverage figures.")
    async def recompute_coverage(self, info: Info[Context, None]) -> ImportJob:
        from starlette.concurrency import run_in_threadpool

        ctx = info.context
        job = await run_in_threadpool(
            request_coverage_recompute,
            ctx.db,
            requested_by=ctx.principal.actor,
            request_id=ctx.request_id,
        )
        return ImportJob.from_model(job)


schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=[AccessGuard])
