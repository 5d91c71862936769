"""Real processes for fault tests: `kopdes worker`, `kopdes serve`, a private Redis server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def kopdes_env(**overrides: str) -> dict[str, str]:
    """The test session's environment (database, namespace), plus fast fault detection."""
    env = {
        **os.environ,
        "KOPDES_WORKER_METRICS": "false",
        "KOPDES_JOB_STALE_AFTER_SECONDS": "4",
        "KOPDES_BROKER_HEARTBEAT_TIMEOUT_MS": "2000",
        "KOPDES_BROKER_MAINTENANCE_CHANCE": "1000000",
        "KOPDES_LOG_LEVEL": "WARNING",
    }
    env.update(overrides)
    return env


class Proc:
    """A child process in a session of its own, so that a kill reaches its children too."""

    def __init__(
        self, args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
    ) -> None:
        self.log_path = log
        self._log = log.open("w")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler runs."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 120) -> None:
        """Wait until the process has written ``text`` (a loaded machine starts one slowly)."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            assert self.popen.poll() is None, f"exited ({self.popen.returncode}): {self.output()}"
            assert time.monotonic() < deadline, f"no {text!r} within {timeout}s: {self.output()}"
            time.sleep(0.1)


@contextmanager
def kopdes(
    args: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
) -> Iterator[Proc]:
    proc = Proc(args, env, log, cwd)
    try:
        yield proc
    finally:
        proc.stop()


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


class RedisServer:
    """A Redis of the test's own, with append-only persistence, that can be restarted."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        self.popen: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.popen = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.1)
        raise AssertionError("private redis did not start")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(timeout=30)
        self.popen = None
