"""Installs reproduce: uv.lock agrees with pyproject.toml, and .venv holds what it pins.

`make install` runs `uv sync --locked`, which refuses a stale lock; these tests say so earlier
and in words (edit pyproject.toml, `make lock`, commit both). uv is the release the lock pins,
installed into .venv with the dev tools.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

UV = Path(sys.executable).parent / "uv"


def uv(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # --offline: every answer here comes from the files, never from PyPI.
    return subprocess.run(
        [str(UV), *args, "--offline", "--no-progress"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def lock(repo_root: Path) -> dict[str, Any]:
    return tomllib.loads((repo_root / "uv.lock").read_text())


def test_lock_matches_pyproject(repo_root: Path) -> None:
    checked = uv("lock", "--check", cwd=repo_root)
    assert checked.returncode == 0, (
        "uv.lock does not match pyproject.toml: run `make lock` and commit both.\n" + checked.stderr
    )


def test_a_dependency_edited_without_make_lock_is_caught(
    repo_root: Path, lock: dict[str, Any], tmp_path: Path
) -> None:
    shutil.copy2(repo_root / "uv.lock", tmp_path / "uv.lock")
    pyproject = (repo_root / "pyproject.toml").read_text()
    # Raise Starlette's floor to the locked release: still satisfied, nothing to download,
    # but a requirement the lock was not made from.
    locked = next(p["version"] for p in lock["package"] if p["name"] == "starlette")
    edited = re.sub(r'"starlette>=[^,"]*', f'"starlette>={locked}', pyproject, count=1)
    assert edited != pyproject
    (tmp_path / "pyproject.toml").write_text(edited)
    (tmp_path / "README.md").write_text("readme\n")
    checked = uv("lock", "--check", cwd=tmp_path)
    assert checked.returncode != 0
    assert "needs to be updated" in checked.stderr, checked.stderr


def test_environment_holds_exactly_the_locked_versions(repo_root: Path) -> None:
    checked = uv("sync", "--locked", "--extra", "dev", "--check", cwd=repo_root)
    assert checked.returncode == 0, (
        "the environment differs from uv.lock: run `make install`.\n" + checked.stderr
    )


def test_lock_pins_the_tested_strawberry_series_and_dramatiq_floor(
    lock: dict[str, Any],
) -> None:
    """api/ overrides Strawberry internals: the lock must stay inside the series pyproject
    names, and Dramatiq must have on_retry_exhausted (1.17.1)."""
    from packaging.version import Version

    packages = {p["name"]: p for p in lock["package"]}
    project = packages["kopdes"]
    requires = {r["name"]: r.get("specifier", "") for r in project["metadata"]["requires-dist"]}
    assert requires["strawberry-graphql"] == ">=0.341.2,<0.342"
    assert Version(packages["dramatiq"]["version"]) >= Version("1.17.1")
    assert {"graphql-core", "cross-web"} <= set(requires), "imported directly"
    assert "types-redis" not in packages, "redis-py ships its own types"
