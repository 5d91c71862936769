"""Archives that unpack to gigabytes, built in about a second (nothing big is ever written)."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

GIB = 1024**3


class Entry(NamedTuple):
    name: str
    data: bytes  # as stored (deflated when method is 8)
    crc: int
    size: int  # unpacked
    method: int = 8


def gzip_bomb(path: Path, header: bytes = b"code,name\n", gib: int = 2) -> Path:
    """A .gz of ``gib`` GiB of zeros after a header: one 1 MiB member repeated (gzip allows
    concatenated members), about 1 KiB per MiB."""
    member = gzip.compress(b"\0" * (1 << 20), 9)
    path.write_bytes(gzip.compress(header, 9) + member * (gib * 1024))
    return path


def zeros(name: str, gib: int = 1) -> Entry:
    """A member of ``gib`` GiB of zeros, honestly declared: each 1 MiB block is deflated
    after a full flush, so every block's output is the same bytes."""
    chunk = b"\0" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(gib * 1024):
        crc = zlib.crc32(chunk, crc)
    return Entry(name, block * (gib * 1024) + compressor.flush(), crc, gib * GIB)


def plain(name: str, content: bytes) -> Entry:
    return Entry(name, content, zlib.crc32(content), len(content), method=0)


def write_zip(path: Path, entries: list[Entry]) -> Path:
    local = b""
    central = b""
    for entry in entries:
        encoded = entry.name.encode()
        offset = len(local)
        fields = struct.pack(
            "<HHHHHIII", 20, 0, entry.method, 0, 0x21, entry.crc, len(entry.data), entry.size
        )
        local += b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded
        local += entry.data
        central += b"PK\x01\x02" + struct.pack("<H", 20) + fields
        central += struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = b"PK\x05\x06" + struct.pack(
        "<HHHHIIH", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    path.write_bytes(local + central + end)
    return path


def xlsx_bomb(path: Path, gib: int = 1) -> Path:
    """A real workbook whose first sheet's XML is replaced by ``gib`` GiB of zeros."""
    from openpyxl import Workbook

    buffer = io.BytesIO()
    book = Workbook()
    book.active.append(["code", "name"])
    book.save(buffer)
    entries = []
    with zipfile.ZipFile(buffer) as source:
        for info in source.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                entries.append(zeros(info.filename, gib))
            else:
                entries.append(plain(info.filename, source.read(info)))
    return write_zip(path, entries)
