"""Every actor, declared on the broker of the current settings.

Actors take ids, never payloads, and hand the work to services in ``shared``: a message that
arrives twice finds its job already claimed or finished (see ``shared.jobs``). This module is
what ``kopdes worker`` (and the embedded worker) loads; each area keeps its actors in a module
of its own, imported here.
"""

from __future__ import annotations

import importlib

from shared.broker import ensure_broker

ensure_broker()

AREAS = ("worker.common", "worker.coverage", "worker.villages", "worker.registry")

for _name in AREAS:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:  # an area not built yet
        if exc.name != _name:
            raise
