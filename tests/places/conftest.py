"""Place reconciliation tests run against the bundled 2025 edition, loaded once."""

from __future__ import annotations

import pytest

from shared.places import AliasTable, Gazetteer, load_aliases, load_edition_archive


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return load_edition_archive()


@pytest.fixture(scope="session")
def aliases(gazetteer: Gazetteer) -> AliasTable:
    return load_aliases(gazetteer)
