from __future__ import annotations

from typing import Any

import pytest

from tests.access.support import Callers, make_callers


@pytest.fixture
def callers(db: Any) -> Callers:
    return make_callers(db)
