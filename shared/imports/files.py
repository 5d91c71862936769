"""Input files: stored for the worker (in the database), their SHA-256, limits on unpacking.

Compressed input is capped: a gzip stream, zip member or workbook part that unpacks to more
than ``MAX_UNPACKED_BYTES`` is refused (zip sizes are checked from the archive's directory
before anything is decompressed; a zip member never yields more than its declared size), so a
"zip bomb" costs a directory read, not gigabytes.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from sqlalchemy.orm import Session

from shared.files.store import put, storable_name

# The national list is ~6 MB as CSV and ~15 MB unpacked as XLSX: this leaves room for growth
# while refusing archives built to unpack to gigabytes.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
_BLOCK = 1 << 20


class TooLarge(Exception):
    """Decompressed input passed ``MAX_UNPACKED_BYTES``."""


class _Capped(io.RawIOBase):
    """A byte stream that raises :class:`TooLarge` once more than ``limit`` bytes were read:
    gzip carries no trustworthy size, so it is counted while it unpacks."""

    def __init__(self, inner: IO[bytes], limit: int) -> None:
        self._inner = inner
        self._left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(min(len(buffer), self._left + 1))
        self._left -= len(data)
        if self._left < 0:
            raise TooLarge
        buffer[: len(data)] = data
        return len(data)


def capped(stream: IO[bytes]) -> IO[bytes]:
    return cast(IO[bytes], io.BufferedReader(_Capped(stream, MAX_UNPACKED_BYTES)))


def zip_too_large(archive: zipfile.ZipFile) -> str | None:
    """Why an archive must not be unpacked (its declared sizes), or None. zipfile never
    returns more than a member's declared size, so the directory is a safe bound."""
    total = sum(info.file_size for info in archive.infolist())
    if total > MAX_UNPACKED_BYTES:
        return (
            f"the archive unpacks to {total:,} bytes, over the limit of"
            f" {MAX_UNPACKED_BYTES:,}: refused without unpacking"
        )
    return None


def without_gz(name: str) -> tuple[str, bool]:
    """The name without a ``.gz`` suffix (lower case), and whether it had one."""
    lower = name.lower()
    if lower.endswith(".gz"):
        return lower[:-3], True
    return lower, False


def open_file(path: Path, stack: ExitStack) -> IO[bytes]:
    """A file's bytes, gunzipped (and capped) when its name ends in ``.gz``."""
    raw: IO[bytes] = stack.enter_context(path.open("rb"))
    return gunzipped(raw, path.name, stack)


def gunzipped(stream: IO[bytes], name: str, stack: ExitStack) -> IO[bytes]:
    if without_gz(name)[1]:
        return capped(cast(IO[bytes], stack.enter_context(gzip.open(stream, "rb"))))
    return stream


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def sources_sha256(sources: Sequence[Path]) -> str:
    """SHA-256 of an input: of the file, or of the names and digests of a folder's files;
    of several inputs, of their digests in order."""
    digests = []
    for source in sources:
        if source.is_dir():
            inner = hashlib.sha256()
            for path in sorted(f for f in source.rglob("*") if f.is_file()):
                inner.update(path.relative_to(source).as_posix().encode() + b"\0")
                inner.update(file_sha256(path).encode())
            digests.append(inner.hexdigest())
        elif source.is_file():
            digests.append(file_sha256(source))
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def first_bad_utf8(path: Path) -> int | None:
    """The byte offset of the first byte that is not UTF-8, or None; read block by block."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            pending = len(decoder.getstate()[0])  # a character cut by the last block
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(block)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset
    return None


@dataclass(frozen=True, slots=True)
class StoredInputs:
    """An import's inputs once stored: where each lies in the job's staging folder."""

    files: list[dict[str, Any]]  # {"id": stored file id, "path": relative path}: params["files"]
    sources: list[str]  # each input's relative path (a file, or a folder of files)
    mapping: str | None


def store_inputs(
    session: Session, sources: Sequence[Path], *, mapping: Path | None = None, stored_by: str
) -> StoredInputs:
    """Store an import's inputs in the database (``shared.files``) for any worker to read.

    Each input gets a numbered folder of its own in the job's staging folder, so the inputs
    keep their (made safe) names, which tell the level and the format, and a folder input
    stays a folder; a mapping file goes to ``mapping/``.
    """
    files: list[dict[str, Any]] = []

    def keep(path: Path, relative: str) -> None:
        stored = put(session, path, path.name, stored_by)
        files.append({"id": stored.id, "path": relative, "sha256": stored.sha256})

    kept: list[str] = []
    for i, source in enumerate(sources):
        top = f"{i}/{storable_name(source.name)}"
        if source.is_dir():
            for path in sorted(f for f in source.rglob("*") if f.is_file()):
                parts = path.relative_to(source).parts
                keep(path, "/".join([top, *(storable_name(part) for part in parts)]))
        else:
            keep(source, top)
        kept.append(top)
    kept_mapping = None
    if mapping is not None:
        kept_mapping = f"mapping/{storable_name(mapping.name)}"
        keep(mapping, kept_mapping)
    return StoredInputs(files, kept, kept_mapping)
