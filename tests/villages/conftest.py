"""Village-list tests keep their uploads in a temporary folder, not in ./var."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from shared.config import get_settings

    folder = tmp_path / "uploads"
    monkeypatch.setattr(get_settings(), "upload_dir", folder)
    monkeypatch.setenv("KOPDES_UPLOAD_DIR", str(folder))  # for CLI subprocesses
    return folder
