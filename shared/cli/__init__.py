"""Entry point of the ``kopdes`` console script."""

from __future__ import annotations

from shared.cli import access, cooperatives, core, villages  # each registers its commands
from shared.cli.app import app

__all__ = ["access", "app", "cooperatives", "core", "main", "villages"]


def main() -> None:
    app()
