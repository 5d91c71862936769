"""Where finished export files are kept: behind these three functions, so the flow, the
download and the retention do not depend on the store's form.

Interim form: a folder under ``KOPDES_UPLOAD_DIR`` (the database file store of issue #13
replaces it; the references stay opaque strings).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from shared.config import get_settings


def _folder() -> Path:
    folder = get_settings().upload_dir / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep(session: Session, path: Path, name: str, stored_by: str) -> str:
    """Store a finished file (with the caller's transaction); returns its reference."""
    target = _folder() / f"{path.stat().st_mtime_ns}-{name}"
    shutil.copyfile(path, target)
    return target.name


def open_stored(session: Session, ref: str) -> BinaryIO:
    """The stored file's bytes; LookupError when it is gone."""
    target = _folder() / Path(ref).name
    if not target.is_file():
        raise LookupError(f"no stored file {ref}")
    return target.open("rb")


def forget(session: Session, refs: Iterable[str]) -> None:
    """Delete stored files (expired exports)."""
    for ref in refs:
        (_folder() / Path(ref).name).unlink(missing_ok=True)
