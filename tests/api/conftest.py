"""Fixtures of the API tests: the Kaltim village list, a few cooperatives, keys per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.support import Keys, make_keys, seed_cooperatives

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah"


@pytest.fixture
def kaltim(db: Any) -> Any:
    """Province 64 of the 2025 edition, imported through the village importer."""
    from api.loaders import COVERAGE_CACHE
    from shared.villages.service import EditionInfo, import_now

    job = import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    assert job.status == "succeeded", job.message
    COVERAGE_CACHE.clear()
    return db


@pytest.fixture
def keys(kaltim: Any) -> Keys:
    return make_keys(kaltim)


@pytest.fixture
def coops(kaltim: Any) -> dict[str, int]:
    return seed_cooperatives(kaltim)


@pytest.fixture
def statements(db: Any) -> Iterator[list[str]]:
    """Every SQL statement the API's async engine runs while the test collects them."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        # The key lookup (and its throttled last-used touch) belongs to access control.
        if "api_keys" not in statement:
            seen.append(statement)

    def planned(statement: str, _params: Any) -> None:
        seen.append(statement)

    from api.plans import STATEMENT_HOOKS

    engine = db.async_engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    STATEMENT_HOOKS.append(planned)  # compiled plans run on connections of their own
    yield seen
    STATEMENT_HOOKS.remove(planned)
    event.remove(engine, "before_cursor_execute", count)


@pytest.fixture(autouse=True)
def _fresh_coverage_cache() -> None:
    # Data versions restart at 0 after each test's truncation; in production they only grow.
    from api.lean import ANSWERS as RESPONSE_CACHE
    from api.loaders import COVERAGE_CACHE

    COVERAGE_CACHE.clear()
    RESPONSE_CACHE.clear()
