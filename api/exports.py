"""``GET /exports/{id}``: an export's file, for the key that asked for it (or an admin).

Anyone else, with or without a key, gets the 404 of an export that does not exist; so does
the owner once the file has expired. Every download is written to the audit log first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from api.auth import principal_of
from api.schema.common import db_int
from shared import files
from shared.audit import Actor
from shared.db import Database
from shared.exports import service
from shared.exports.formats import MEDIA_TYPE, Format
from shared.models import ImportJob, Role

CHUNK = 1 << 20


def _not_found() -> Response:
    return JSONResponse(
        {"errors": [{"message": "No such export.", "extensions": {"code": "NOT_FOUND"}}]},
        status_code=404,
    )


def _claim(db: Database, job_id: int, actor: Actor, admin: bool) -> dict[str, Any] | None:
    """The file's reference and manifest when the caller may download it (audited)."""
    with db.transaction() as session:
        job = session.get(ImportJob, job_id)
        if job is None or not service.owned_by(job, actor.api_key_id, admin=admin):
            return None
        ref = service.file_of(job)
        if ref is None:
            return None
        service.record_download(session, actor, job)
        return {"ref": ref, **(job.counts or {}).get("manifest", {})}


def _chunks(db: Database, ref: int) -> Iterator[bytes]:
    with db.sync_session() as session, files.open_file(session, ref) as stream:
        while block := stream.read(CHUNK):
            yield block


async def download(request: Request) -> Response:
    principal = principal_of(request.scope)
    job_id = db_int(str(request.path_params["id"]))
    if job_id is None:
        return _not_found()
    db: Database = request.app.state.db
    actor = Actor(
        name=principal.actor,
        api_key_id=principal.api_key_id,
        request_id=request.scope.get("state", {}).get("request_id"),
    )
    found = await run_in_threadpool(_claim, db, job_id, actor, principal.at_least(Role.admin))
    if found is None:
        return _not_found()
    headers = {
        "Content-Disposition": f'attachment; filename="{found["file_name"]}"',
        "Content-Length": str(found["bytes"]),
        "X-Kopdes-Sha256": found["sha256"],
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(
        _chunks(db, found["ref"]), media_type=MEDIA_TYPE[Format(found["format"])], headers=headers
    )


def export_routes() -> list[Route]:
    return [Route("/exports/{id}", download, methods=["GET"])]
