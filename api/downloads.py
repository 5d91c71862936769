"""Downloads beside the GraphQL endpoint: a name-keyed import's reconciliation decisions as
CSV (``GET /graphql/jobs/{id}/reconciliation.csv``, operations keys only).

The path lies under ``/graphql`` so that the one access middleware authenticates and rate
limits it like any GraphQL request; a lower role is refused like a GraphQL field is
(401 without a key, 403 with too low a role), and a job without a report is 404.
"""

from __future__ import annotations

import io

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.auth import principal_of
from shared.db import Database
from shared.models import ImportJob, Role
from shared.registry.placing import write_decisions_csv


async def reconciliation_csv(request: Request) -> Response:
    principal = principal_of(request.scope)
    if not principal.at_least(Role.operations):
        status = 401 if principal.api_key_id is None else 403
        message = "This needs an API key with the operations role or higher."
        return JSONResponse({"errors": [{"message": message}]}, status_code=status)
    db: Database = request.app.state.db
    job_id = int(request.path_params["job_id"])
    async with db.async_session() as session:
        job = await session.get(ImportJob, job_id)
        report = job.reconciliation if job is not None else None
    if not report:
        message = f"job {job_id} has no reconciliation report"
        return JSONResponse({"errors": [{"message": message}]}, status_code=404)
    buffer = io.StringIO()
    write_decisions_csv(report, buffer)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="job-{job_id}-reconciliation.csv"'},
    )


def download_routes() -> list[Route]:
    return [Route("/graphql/jobs/{job_id:int}/reconciliation.csv", reconciliation_csv)]
