"""The production description: docker-compose.yml and the Dockerfile match the configuration.

No Docker engine runs here, so the compose file is checked structurally: the services the
README promises, healthchecks, volumes, start order, and that every KOPDES_ variable it sets is a
real setting (a typo would otherwise be silently ignored in production). The Dockerfile is read
the same way, and its install steps are replayed outside Docker: they must install exactly what
uv.lock pins, and a package that works away from the source tree.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
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
    # What `docker compose up` starts; profiles add the rest on demand (observability).
    always = {name for name, service in compose["services"].items() if "profiles" not in service}
    assert always == {"postgres", "redis", "migrate", "api", "worker"}
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


# The Dockerfile installs from uv.lock. Without a Docker engine here, its build stage is read
# instruction by instruction, and its install steps are replayed into a scratch directory.


def dockerfile_stages(text: str) -> list[list[tuple[str, str]]]:
    """Each stage's instructions as (KEYWORD, arguments), continuation lines joined."""
    stages: list[list[tuple[str, str]]] = []
    logical = re.sub(r"\\\n", " ", text)
    for line in logical.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        if keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append((keyword.upper(), args.strip()))
    return stages


@pytest.fixture(scope="module")
def build_stage(repo_root: Path) -> list[tuple[str, str]]:
    stages = dockerfile_stages((repo_root / "Dockerfile").read_text())
    assert len(stages) == 2, "a build stage and a slim runtime stage"
    return stages[0]


def locked_versions(repo_root: Path) -> dict[str, str]:
    lock = tomllib.loads((repo_root / "uv.lock").read_text())
    return {package["name"]: package["version"] for package in lock["package"]}


def test_dockerfile_installs_only_what_the_lock_pins(build_stage: list[tuple[str, str]]) -> None:
    runs = [args for keyword, args in build_stage if keyword == "RUN"]
    syncs = [run for run in runs if "uv sync" in run]
    assert len(syncs) == 2, "dependencies in their own layer, then the project"
    for run in syncs:
        assert "--locked" in run.split(), f"{run!r} could re-resolve instead of using uv.lock"
        assert not {"--extra", "--all-extras"} & set(run.split()), "dev tools in the image"
    assert "--no-install-project" in syncs[0]
    assert "--no-editable" in syncs[1], "the image must not depend on /src"
    # pip only brings uv itself, at the pinned version; nothing else is installed around uv.
    for run in runs:
        if "pip install" in run:
            assert re.fullmatch(r'pip install "uv==\$\{UV_VERSION\}"', run), run
        assert not re.search(r"\buv (pip|add)\b", run), run
    first_sync = next(i for i, (_k, args) in enumerate(build_stage) if "uv sync" in args)
    copied_first = {
        source
        for keyword, args in build_stage[:first_sync]
        if keyword == "COPY"
        for source in args.split()[:-1]
    }
    assert copied_first == {"pyproject.toml", "uv.lock"}, "the dependency layer's only inputs"


def test_runtime_stage_installs_nothing_of_its_own(repo_root: Path) -> None:
    runtime = dockerfile_stages((repo_root / "Dockerfile").read_text())[-1]
    for keyword, args in runtime:
        if keyword == "RUN":
            assert not re.search(r"\b(pip|uv)\b", args), args
    assert ("COPY", "--from=build /opt/kopdes /opt/kopdes") in runtime


def test_dockerfile_bootstraps_the_uv_release_the_lock_pins(
    repo_root: Path, build_stage: list[tuple[str, str]]
) -> None:
    args = dict(a.split("=", 1) for k, a in build_stage if k == "ARG" and "=" in a)
    assert args["UV_VERSION"] == locked_versions(repo_root)["uv"]


def test_dockerfile_copies_files_that_exist(
    repo_root: Path, build_stage: list[tuple[str, str]]
) -> None:
    for keyword, args in build_stage:
        if keyword == "COPY":
            for source in args.split()[:-1]:
                assert (repo_root / source).exists(), f"COPY {source}: no such path"


@pytest.mark.slow
def test_dockerfile_install_steps_give_the_locked_versions_and_a_working_package(
    repo_root: Path, build_stage: list[tuple[str, str]], tmp_path: Path
) -> None:
    """Replays the build stage's COPY and `uv sync` steps (uv from the dev tools, the same
    release) into a scratch directory, then inspects the environment they made."""
    src, env_dir = tmp_path / "src", tmp_path / "opt-kopdes"
    src.mkdir()
    environ = {
        **os.environ,
        "UV_PROJECT_ENVIRONMENT": str(env_dir),
        "UV_PYTHON": sys.executable,
        "UV_PYTHON_DOWNLOADS": "never",
        "VIRTUAL_ENV": "",
    }
    uv = Path(sys.executable).parent / "uv"
    for keyword, args in build_stage:
        if keyword == "COPY":
            *sources, dest = args.split()
            for source in sources:
                target = src / dest if dest not in ("./", ".") else src / Path(source).name
                if (repo_root / source).is_dir():
                    shutil.copytree(repo_root / source, target, ignore=IGNORED)
                else:
                    shutil.copy2(repo_root / source, target)
        elif keyword == "RUN" and args.startswith("uv sync"):
            done = subprocess.run(
                [str(uv), *shlex.split(args)[1:], "--quiet"],
                cwd=src,
                env=environ,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert done.returncode == 0, f"{args}: {done.stderr}"
    # Outside /src, as in the runtime stage: the package must carry its data files.
    shutil.rmtree(src)
    probe = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", PROBE],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    installed: dict[str, str] = json.loads(probe.stdout)
    locked = locked_versions(repo_root)
    wrong = {
        name: (version, locked.get(name))
        for name, version in installed.items()
        if name != "kopdes" and locked.get(name) != version
    }
    assert not wrong, f"installed (version, locked): {wrong}"
    assert not {"pytest", "mypy", "uv"} & set(installed), "dev tools in the image"
    assert installed["strawberry-graphql"] == locked["strawberry-graphql"]
    assert (env_dir / "bin" / "kopdes").exists()


IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")

# Imports the three packages, checks the files they read at run time were installed, and
# prints every installed distribution's version.
PROBE = """
import json, importlib.metadata as md, pathlib
import api.app, worker, shared.migrations
from api.graphiql import ASSETS_DIR, PAGE_ASSETS, PAGE_TEMPLATE
import shared
assert PAGE_TEMPLATE.is_file(), PAGE_TEMPLATE
for name in PAGE_ASSETS.values():
    assert (ASSETS_DIR / name).is_file(), name
assert "site-packages" in str(ASSETS_DIR), ASSETS_DIR
root = pathlib.Path(shared.__file__).parent
assert (root / "migrations" / "script.py.mako").is_file()
assert list((root / "migrations" / "versions").glob("*.py"))
assert list((root / "data").rglob("*")), "bundled village list"
print(json.dumps({d.metadata["Name"].lower().replace("_", "-"): d.version
                  for d in md.distributions()}))
"""
