"""Input files: where the worker finds them, their SHA-256, and limits on what they unpack to.

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
import shutil
import uuid
import zipfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, cast

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


def keep_for_worker(
    upload_dir: Path, kind: str, sources: Sequence[Path], *, mapping: Path | None = None
) -> tuple[list[Path], Path | None]:
    """Copy an import's inputs where a worker on another machine can read them.

    Each import gets a folder of its own in ``upload_dir`` with a numbered folder per input, so
    the inputs keep their names (they tell the level and the format) and a folder input stays a
    folder; a mapping file goes to ``mapping/``. Inputs already in ``upload_dir`` stay there.
    Returns the copies' paths.
    """
    root = Path(upload_dir).resolve()
    if all(p.resolve().is_relative_to(root) for p in [*sources, *([mapping] if mapping else [])]):
        return [p.resolve() for p in sources], mapping.resolve() if mapping else None
    target = root / f"{kind}-{uuid.uuid4().hex}"
    target.mkdir(parents=True, exist_ok=False)
    copied: list[Path] = []
    for i, path in enumerate(sources):
        slot = target / str(i)
        slot.mkdir()
        if path.is_dir():
            shutil.copytree(path, slot / path.name)
        else:
            shutil.copy2(path, slot / path.name)
        copied.append(slot / path.name)
    copied_mapping = None
    if mapping is not None:
        (target / "mapping").mkdir()
        copied_mapping = target / "mapping" / mapping.name
        shutil.copy2(mapping, copied_mapping)
    return copied, copied_mapping
