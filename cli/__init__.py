"""The ``kopdes`` command: the composition root, where the API, the worker and the services
are put together. Nothing imports it."""

from __future__ import annotations

from cli import access, core, exports, jobs, registry, villages  # each registers its commands
from cli.app import app

__all__ = ["access", "app", "core", "exports", "jobs", "main", "registry", "villages"]


def main() -> None:
    app()
