"""The production description: docker-compose.yml and the Dockerfile match the configuration.

No Docker engine runs here, so the compose file is checked structurally: the services the
README promises, healthchecks, volumes, start order, and that every KOPDES_ variable it sets is a
real setting (a typo would otherwise be silently ignored in production).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.config import Settings

SETTING_VARS = {f"KOPDES_{name.upper()}" for name in Settings.model_fields}


@pytest.fixture(scope="module")
def compose(repo_root: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((repo_root / "docker-compose.yml").read_text())
    return data


def test_compose_has_the_production_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "api", "worker"}
    assert set(compose["volumes"]) >= {"pgdata", "redisdata"}


@pytest.mark.parametrize("service", ["postgres", "redis", "api", "worker"])
def test_long_running_services_have_healthchecks(compose: dict[str, Any], service: str) -> None:
    check = compose["services"][service]["healthcheck"]
    assert check["test"], f"{service} healthcheck has no test"


def test_api_and_worker_start_after_migration_and_broker(compose: dict[str, Any]) -> None:
    for name in ("api", "worker"):
        depends = compose["services"][name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    assert (
        compose["services"]["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    )
    assert compose["services"]["migrate"]["command"] == ["kopdes", "db", "upgrade"]


def test_worker_is_scalable(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    # A fixed container_name or a host port would make `--scale worker=N` fail.
    assert "container_name" not in worker
    assert "ports" not in worker
    assert worker["command"][:2] == ["kopdes", "worker"]


def test_every_kopdes_variable_is_a_real_setting(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        env = service.get("environment") or {}
        for key in env:
            if key.startswith("KOPDES_"):
                assert key in SETTING_VARS, f"{name} sets unknown setting {key}"


def test_production_services_use_postgres_and_redis(compose: dict[str, Any]) -> None:
    for name in ("migrate", "api", "worker"):
        env = compose["services"][name]["environment"]
        assert env["KOPDES_DATABASE_URL"].startswith("postgresql://")
        assert env["KOPDES_REDIS_URL"].startswith("redis://")
        Settings(database_url=env["KOPDES_DATABASE_URL"], redis_url=env["KOPDES_REDIS_URL"])


def test_readme_documents_every_setting(repo_root: Path) -> None:
    readme = (repo_root / "README.md").read_text()
    missing = sorted(var for var in SETTING_VARS if f"`{var}`" not in readme)
    assert not missing, f"README configuration table lacks {missing}"


def test_dockerfile_runs_as_non_root_on_a_slim_base(repo_root: Path) -> None:
    dockerfile = (repo_root / "Dockerfile").read_text()
    assert "-slim" in dockerfile
    user_lines = [line for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines
    assert user_lines[-1].split()[1] not in {"root", "0"}
