"""Every actor, declared on the broker of the current settings.

Actors take ids, never payloads, and hand the work to services in ``shared``: a message that
arrives twice finds its job already claimed or finished (see ``shared.jobs``). This module is
what ``kopdes worker`` (and the embedded worker) loads; each area keeps its actors in a module
of its own, imported here once the broker is installed.
"""

from __future__ import annotations

from shared.broker import ensure_broker

ensure_broker()

from worker import common, coverage, registry, villages  # noqa: E402

__all__ = ["common", "coverage", "registry", "villages"]
