"""Any bytes, through every reader, end in a failed job whose problems are stored: on
PostgreSQL as on SQLite (PostgreSQL refuses NUL in text and JSONB, and text that is not
UTF-8), every value a report echoes is made storable first."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.models import JobStatus
from shared.registry.service import FileFormat
from shared.registry.service import import_now as import_registry_now
from shared.safe_text import storable
from shared.villages.service import EditionInfo
from shared.villages.service import import_now as import_villages_now
from tests.hostile.test_reader_properties import FILE_BYTES

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# A byte that is never UTF-8 somewhere in the file: every reader must refuse it.
HOSTILE = st.tuples(FILE_BYTES, st.integers(0, 400), st.sampled_from([b"\xff", b"\xc3\x00"]))


def _with_bad_byte(parts: tuple[bytes, int, bytes]) -> bytes:
    data, at, bad = parts
    at = min(at, len(data))
    return data[:at] + bad + data[at:]


def _run(db: Any, reader: str, suffix: str, data: bytes) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"in\x01put{suffix}"  # a control character in the name too
        path.write_bytes(data)
        if reader == "villages":
            return import_villages_now(db, [path], edition=EditionInfo("property"))
        return import_registry_now(db, path, file_format=FileFormat(reader))


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx"])
@pytest.mark.parametrize("reader", ["villages", "registry", "proposals"])
@PROPERTY
@given(parts=HOSTILE)
def test_any_bytes_end_in_a_failed_job_with_its_problems_stored(
    db: Any, reader: str, suffix: str, parts: tuple[bytes, int, bytes]
) -> None:
    job = _run(db, reader, suffix, _with_bad_byte(parts))
    assert job.status == JobStatus.failed, job.message
    assert job.error_count >= 1
    assert len(job.errors) >= 1
    assert "\x01" not in (job.source_name or "")
    for problem in [*job.errors, *job.warnings]:
        for key in ("file", "field", "value", "message"):
            text = problem.get(key)
            if text is not None:
                assert storable(text, 10_000) == text, (key, text)  # nothing left to escape


def test_storable_escapes_what_no_database_keeps() -> None:
    assert storable("a\x00b") == "a\\x00b"
    assert storable(b"caf\xe9") == "caf\\xe9"  # Latin-1, not UTF-8: the byte, shown
    assert storable("caf\udce9") == "caf\\xe9"  # the same, decoded with surrogateescape
    assert storable("tab\tand\nnewline") == "tab\tand\nnewline"
    assert storable("é" * 500, 10) == "é" * 7 + "..."
    assert storable("\x7f\x9b") == "\\x7f\\x9b"
