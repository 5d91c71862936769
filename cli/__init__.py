"""The ``kopdes`` command: the composition root, where the API, the worker and the services
are put together. Nothing imports it."""

from __future__ import annotations

from cli import access, core, exports, job_commands, jobs, registry, villages  # commands
from cli.app import app

__all__ = [
    "access",
    "app",
    "core",
    "exports",
    "job_commands",
    "jobs",
    "main",
    "registry",
    "villages",
]


def main() -> None:
    app()
