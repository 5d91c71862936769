"""The file store: bytes in the database, chunked, each distinct content stored once.

* :func:`put` stores a file (a path or a binary stream) in the caller's transaction and
  returns its row; bytes already stored (same SHA-256) are not stored again, their row is
  returned with ``stored_at`` moved to now (retention counts from the last time a file was
  stored);
* :func:`open_file` reads a stored file back as a binary stream, one chunk at a time;
* :func:`stage` writes stored files into a private folder under the names a job gave them,
  for readers that need a real file (zip and XLSX seek);
* :func:`sweep` deletes files stored longer ago than the retention
  (``KOPDES_FILE_RETENTION_DAYS``) that no queued or running job still needs.

Like every service it takes a session and never commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.models import FileChunk, ImportJob, JobStatus, utcnow
from shared.models import StoredFile as FileRow

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20  # 1 MiB a row: the national list (~6 MB) is a handful of rows
_SPOOL_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A stored file as its callers see it."""

    id: int
    sha256: str
    size: int
    name: str
    stored_by: str
    stored_at: datetime


def _as_stored(row: FileRow) -> StoredFile:
    return StoredFile(row.id, row.sha256, row.size, row.name, row.stored_by, row.stored_at)


def storable_name(name: str | None) -> str:
    """A file name safe to keep and to write under a folder: its last part, no control
    characters or separators, never "." or "..", at most 150 bytes (suffixes kept: readers
    pick the format by them)."""
    last = re.sub(r"[\x00-\x1f\x7f/\\]", "_", (name or "").replace("\\", "/").split("/")[-1])
    if last.strip(". _") == "":
        return "upload.bin"
    if len(last.encode()) > 150:
        suffixes = "".join(s for s in PurePosixPath(last).suffixes[-2:] if len(s) <= 10)
        last = "upload" + suffixes
    return last


def put(
    session: Session, source: Path | IO[bytes], name: str | None = None, stored_by: str = "system"
) -> StoredFile:
    """Store a file's bytes (once per content) in the caller's transaction."""
    with _opened(source) as (stream, digest, size):
        existing = session.execute(select(FileRow).where(FileRow.sha256 == digest)).scalar()
        now = utcnow()
        if existing is not None:
            existing.stored_at = now
            session.flush()
            return _as_stored(existing)
        default = source.name if isinstance(source, Path) else "upload.bin"
        row = FileRow(
            sha256=digest,
            size=size,
            name=storable_name(name or default),
            stored_by=(stored_by or "system")[:200],
            stored_at=now,
        )
        session.add(row)
        session.flush()
        seq = 0
        while block := stream.read(CHUNK_BYTES):
            session.add(FileChunk(file_id=row.id, seq=seq, data=block))
            seq += 1
            if seq % 8 == 0:
                session.flush()  # keep at most a few MiB in the session
        session.flush()
        return _as_stored(row)


class _opened:
    """A seekable stream of the source, its SHA-256 and size (a stream is spooled once)."""

    def __init__(self, source: Path | IO[bytes]) -> None:
        self.source = source
        self._close: list[IO[bytes]] = []

    def __enter__(self) -> tuple[IO[bytes], str, int]:
        digest = hashlib.sha256()
        size = 0
        if isinstance(self.source, Path):
            stream: IO[bytes] = self.source.open("rb")
            self._close.append(stream)
            for block in iter(lambda: stream.read(CHUNK_BYTES), b""):
                digest.update(block)
                size += len(block)
        else:
            spool = cast(IO[bytes], tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES))
            self._close.append(spool)
            for block in iter(lambda: self.source.read(CHUNK_BYTES), b""):  # type: ignore[union-attr]
                digest.update(block)
                size += len(block)
                spool.write(block)
            stream = spool
        stream.seek(0)
        return stream, digest.hexdigest(), size

    def __exit__(self, *_: Any) -> None:
        for stream in self._close:
            stream.close()


class _ChunkReader(io.RawIOBase):
    """A stored file's bytes, fetched one chunk (one row) at a time."""

    def __init__(self, session: Session, file_id: int) -> None:
        self._session = session
        self._file_id = file_id
        self._seq = 0
        self._buffer = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer and not self._done:
            data = self._session.execute(
                select(FileChunk.data).where(
                    FileChunk.file_id == self._file_id, FileChunk.seq == self._seq
                )
            ).scalar()
            if data is None:
                self._done = True
            else:
                self._buffer = bytes(data)
                self._seq += 1
        n = min(len(buffer), len(self._buffer))
        buffer[:n] = self._buffer[:n]
        self._buffer = self._buffer[n:]
        return n


def open_file(session: Session, file_id: int) -> BinaryIO:
    """A stored file as a buffered binary stream (read while ``session`` is open).

    Raises ``LookupError`` when no file has this id (deleted by the retention, or never)."""
    if session.get(FileRow, file_id) is None:
        raise LookupError(f"no stored file {file_id}")
    return cast(BinaryIO, io.BufferedReader(_ChunkReader(session, file_id), CHUNK_BYTES))


def stage(session: Session, files: Iterable[tuple[int, str]], folder: Path) -> None:
    """Write stored files into ``folder`` at their relative paths (``(file id, path)``).

    A path that would leave the folder (absolute, ``..``) is refused: the names come from
    users, and :func:`storable_name` made them safe when they were stored; this is the check
    that holds whatever a job's parameters say.
    """
    root = folder.resolve()
    for file_id, relative in files:
        target = (root / relative).resolve()
        if PurePosixPath(relative).is_absolute() or not target.is_relative_to(root):
            raise ValueError(f"stored file path {relative!r} leaves the staging folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        with open_file(session, file_id) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out, CHUNK_BYTES)


def sweep(session: Session, retention_days: int, *, now: datetime | None = None) -> int:
    """Delete the files stored more than ``retention_days`` ago that no queued or running
    job refers to (in its ``params["files"]``); returns how many were deleted."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    old = set(session.execute(select(FileRow.id).where(FileRow.stored_at < cutoff)).scalars())
    if not old:
        return 0
    pending = session.execute(
        select(ImportJob.params).where(ImportJob.status.in_((JobStatus.queued, JobStatus.running)))
    ).scalars()
    for params in pending:
        for entry in (params or {}).get("files") or []:
            old.discard(int(entry["id"]))
    if not old:
        return 0
    ids = sorted(old)
    session.execute(delete(FileChunk).where(FileChunk.file_id.in_(ids)))
    session.execute(delete(FileRow).where(FileRow.id.in_(ids)))
    return len(ids)


def sweep_expired(db: Database) -> int:
    """The worker's sweep, in a transaction of its own: files past
    ``KOPDES_FILE_RETENTION_DAYS`` go. A failure is logged, never raised (it is housekeeping;
    the next sweep tries again)."""
    try:
        with db.transaction() as session:
            deleted = sweep(session, db.settings.file_retention_days)
    except Exception:
        log.warning("could not sweep expired stored files", exc_info=True)
        return 0
    if deleted:
        log.info("deleted %d stored file(s) past their retention", deleted)
    return deleted
