"""Text that any database stores: what a job echoes of its input, made safe to keep.

A report echoes what it found (a cell, a file name, an exception's message), and what it
found may be anything: NUL bytes (which PostgreSQL refuses in text and in JSONB), other
control characters, bytes that are not UTF-8 (decoded with ``surrogateescape``), megabytes
on one line. :func:`storable` turns any of them into bounded, printable text that says what
was there: ``\\x00`` for a NUL, ``\\xff`` for a byte that is not UTF-8.
"""

from __future__ import annotations

# Kept as they are: tab and newline read as themselves in a message.
_KEPT = frozenset("\t\n")
MESSAGE_CHARS = 2_000  # a job's message
VALUE_CHARS = 200  # a value a problem quotes
NAME_CHARS = 300  # a file name


def _escaped(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:  # a lone surrogate: not encodable as UTF-8
        return f"\\u{code:04x}"
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    return char


def storable(value: object, limit: int = VALUE_CHARS) -> str:
    """``value`` as text any database can store: control characters and bytes that are not
    UTF-8 escaped (``\\x00``, ``\\xff``), at most ``limit`` characters (cut with "...")."""
    if isinstance(value, bytes | bytearray):
        text = bytes(value).decode("utf-8", errors="surrogateescape")
    else:
        text = value if isinstance(value, str) else str(value)
    if len(text) > limit * 4:  # escaping only lengthens: no need to look further
        text = text[: limit * 4]
        cut = True
    else:
        cut = False
    if not text.isprintable() or not text.isascii():
        text = "".join(c if c in _KEPT or c.isprintable() else _escaped(c) for c in text)
        # isprintable() is False for some valid characters (e.g. U+2028): those stay.
    if len(text) > limit or cut:
        return text[: max(limit - 3, 0)] + "..."
    return text
