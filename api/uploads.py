"""Files uploaded with a mutation (GraphQL multipart requests), written to a private folder
from which the import service stores them in the database (``shared.files``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.errors import bad_input
from shared.files.store import storable_name

UPLOAD_CHUNK = 1 << 20


async def save_upload(upload: Any, folder: Path) -> Path:
    """Write an upload to a file keeping its name (readers pick the format by suffix)."""
    if not callable(getattr(upload, "read", None)):
        # A multipart part without a filename arrives as a plain form string.
        raise bad_input("`file` must be a file part (with a filename) of the multipart request")
    target = folder / storable_name(getattr(upload, "filename", None))
    with target.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await run_in_threadpool(out.write, chunk)
    return target
