"""Files uploaded with a mutation (GraphQL multipart requests), written where imports read them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool

from api.errors import bad_input

UPLOAD_CHUNK = 1 << 20


def safe_name(filename: str | None) -> str:
    """The client's file name, usable as a file name here: its last part without control
    characters, never "." or "..", short enough for the file system; the suffixes are kept
    because readers pick the format by them."""
    name = Path(re.sub(r"[\x00-\x1f\x7f\\]", "_", filename or "")).name
    if name.strip(".") == "":
        return "upload.bin"
    if len(name.encode()) > 150:
        suffixes = "".join(s for s in Path(name).suffixes[-2:] if len(s) <= 10)
        name = "upload" + suffixes
    return name


async def save_upload(upload: Any, folder: Path) -> Path:
    """Write an upload to a file keeping its name (readers pick the format by suffix)."""
    if not callable(getattr(upload, "read", None)):
        # A multipart part without a filename arrives as a plain form string.
        raise bad_input("`file` must be a file part (with a filename) of the multipart request")
    target = folder / safe_name(getattr(upload, "filename", None))
    with target.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await run_in_threadpool(out.write, chunk)
    return target
