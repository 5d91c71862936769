"""A real Kopdes for the browser tests: `kopdes serve` (and, on Redis, `kopdes worker`) on a
free port, over the test session's database loaded by `kopdes demo kaltim` (the bundled
official list and the Kaltim reference data), with one key per role."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.reliability.processes import free_port, kopdes, wait_http
from tests.support import TEST_REDIS_URL

# The console script, as an operator runs it (its module may move; its name does not).
KOPDES = str(Path(sys.executable).with_name("kopdes"))
ROLES = ("partner", "operations", "admin")


@dataclass(frozen=True)
class ConsoleServer:
    base: str  # http://127.0.0.1:<port>
    tokens: dict[str, str]  # role -> token of a key named console-<role>
    logs: list[Path]

    @property
    def console(self) -> str:
        return f"{self.base}/console/"

    def graphql(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=30,
        )
        body: dict[str, Any] = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def output(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)


def server_env(folder: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "KOPDES_IMPORT_BUNDLED_ON_START": "false",
        "KOPDES_WORKER_METRICS": "false",
        "KOPDES_LOG_LEVEL": "WARNING",
        # Limits on, as in production, generous enough for a test driving a page quickly.
        "KOPDES_RATE_LIMIT_ENABLED": "true",
        "KOPDES_RATE_LIMIT_ANONYMOUS": "6000/minute",
    }
    env.pop("KOPDES_HOST", None)
    env.pop("KOPDES_PORT", None)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 300) -> str:
    done = subprocess.run(
        [KOPDES, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"kopdes {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def issue_key(role: str) -> str:
    """A key named console-<role>, through the key service (as `kopdes apikey create`)."""
    from shared.access import keys
    from shared.audit import Actor
    from shared.db import get_database
    from shared.models import Role

    with get_database().transaction() as session:
        issued = keys.create_key(
            session, Actor(name="cli:test"), name=f"console-{role}", role=Role(role)
        )
        return issued.token


@contextmanager
def console_server(folder: Path) -> Iterator[ConsoleServer]:
    env = server_env(folder)  # the session's database, migrated by the session
    run_cli(["demo", "kaltim"], env)
    tokens = {role: issue_key(role) for role in ROLES}
    port = free_port()
    logs = [folder / "serve.log"]
    with ExitStack() as stack:
        stack.enter_context(kopdes(["serve", "--port", str(port), "--no-migrate"], env, logs[0]))
        if TEST_REDIS_URL:
            logs.append(folder / "worker.log")
            stack.enter_context(
                kopdes(["worker", "--processes", "1", "--threads", "2"], env, logs[-1])
            )
        base = f"http://127.0.0.1:{port}"
        wait_http(f"{base}/healthz", timeout=120)
        yield ConsoleServer(base=base, tokens=tokens, logs=logs)
