"""Cached answers: the encoded bytes of answers that depend only on the data versions.

An answer of a cacheable document (:mod:`api.documents`) is kept as the bytes sent, keyed by
the document's hash, its operation name, the variables, the caller's role and scope, the
data versions and the media type. The key also names the answer over HTTP: a strong ``ETag``
(a compressed variant has its own tag, the same with ``-br`` or ``-gzip``), so a client that
sends it back in ``If-None-Match`` gets ``304 Not Modified`` until the data changes. Anonymous
answers may be kept by shared caches (``Cache-Control: public``); keyed ones only by the
caller's (``private``). Compressed variants are made once per answer, on first demand.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import brotli

# Answers shorter than this are sent as they are: compressing them gains nothing.
COMPRESS_MIN_BYTES = 1024
ANSWERS_KEPT = 256
VARY = b"Authorization, Accept, Accept-Encoding"
ENCODINGS = ("br", "gzip")


def _compress(encoding: str, body: bytes) -> bytes:
    if encoding == "br":
        return bytes(brotli.compress(body, quality=5))
    return gzip.compress(body, compresslevel=6, mtime=0)


def accepted_encoding(accept_encoding: str) -> str | None:
    """br or gzip when the client accepts it (a q of 0 refuses), br first."""
    if not accept_encoding:
        return None
    accepted = set()
    for item in accept_encoding.lower().split(","):
        coding, _, params = item.partition(";")
        quality = params.strip().removeprefix("q=")
        if params and quality.replace(".", "", 1).isdigit() and float(quality) == 0:
            continue
        accepted.add(coding.strip())
    for encoding in ENCODINGS:
        if encoding in accepted or "*" in accepted:
            return encoding
    return None


@dataclass(slots=True)
class Answer:
    body: bytes
    media_type: bytes
    tag: str  # the ETag's value without quotes
    variants: dict[str, bytes] = field(default_factory=dict)

    def representation(self, encoding: str | None) -> tuple[bytes, str | None, bytes]:
        """(body, content encoding, ETag) for a client accepting ``encoding``."""
        if encoding is None or len(self.body) < COMPRESS_MIN_BYTES:
            return self.body, None, f'"{self.tag}"'.encode()
        compressed = self.variants.get(encoding)
        if compressed is None:
            compressed = self.variants[encoding] = _compress(encoding, self.body)
        return compressed, encoding, f'"{self.tag}-{encoding}"'.encode()

    def matches(self, if_none_match: str) -> bool:
        """True when ``If-None-Match`` names this answer (any of its variants)."""
        if if_none_match.strip() == "*":
            return True
        for candidate in if_none_match.split(","):
            value = candidate.strip().removeprefix("W/").strip('"')
            if value == self.tag or value.startswith(self.tag + "-"):
                return True
        return False


def tag_of(key: tuple[Any, ...]) -> str:
    return hashlib.sha256(repr(key).encode()).hexdigest()[:40]


class AnswerCache:
    def __init__(self, size: int = ANSWERS_KEPT) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], Answer] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Answer | None:
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
        return found

    def put(self, key: tuple[Any, ...], answer: Answer) -> None:
        self.entries[key] = answer
        self.entries.move_to_end(key)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()


def cache_control(anonymous: bool, max_age: int) -> bytes:
    return f"{'public' if anonymous else 'private'}, max-age={max_age}".encode()
