"""Entry point of the ``kopdes`` console script."""

from __future__ import annotations

import importlib

from shared.cli.app import app

# Each module registers its commands on the groups of shared.cli.app.
_COMMAND_MODULES = (
    "shared.cli.core",
    "shared.cli.villages",
    "shared.cli.cooperatives",
    "shared.cli.access",
)


def main() -> None:
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    app()


__all__ = ["app", "main"]
