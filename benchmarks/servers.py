"""Server processes for the API benchmarks: free ports, start, wait until they answer, stop.

Each server is a child process of the benchmark with its output in ``var/bench/<name>.log``,
so a server that dies at start shows its own traceback instead of a bare connection error.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "bench"
POSTGRAPHILE_DIR = Path(__file__).resolve().parent / "postgraphile"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start(
    name: str,
    argv: list[str],
    *,
    port: int,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    ready_path: str = "/healthz",
    timeout: float = 60.0,
) -> Server:
    """Start ``argv`` and wait until ``GET ready_path`` answers (any status below 500)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = LOG_DIR / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(name=name, process=process, port=port, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{_tail(log)}")
        try:
            if httpx.get(server.base + ready_path, timeout=2).status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {timeout:.0f} s:\n{_tail(log)}")


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def ensure_postgraphile() -> Path:
    """The PostGraphile CLI, installed from the committed lock file on first use."""
    binary = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"
    if not binary.exists():
        print("installing PostGraphile 4 (npm ci in benchmarks/postgraphile) ...", flush=True)
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=POSTGRAPHILE_DIR,
            check=True,
        )
    return binary


def start_postgraphile(database_url: str) -> Server:
    """PostGraphile 4 on the same database, schema ``public``, without query logging (which
    would cost it a console write per request that Kopdes does not pay)."""
    binary = ensure_postgraphile()
    port = free_port()
    return start(
        "postgraphile",
        [
            str(binary),
            "--connection",
            database_url,
            "--schema",
            "public",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--disable-query-log",
            "--disable-graphiql",
        ],
        port=port,
        cwd=POSTGRAPHILE_DIR,
        # PostGraphile has no health route; GET /graphql answers 405 once it listens.
        ready_path="/graphql",
        env={"NODE_ENV": "production"},
    )
