"""Dramatiq middleware of Kopdes's worker processes: their logging and each message's context.

``kopdes worker`` runs Dramatiq's command line with ``--skip-logging``; each worker process
configures Kopdes's one logging setup when it boots (:class:`JobContext`), so
``KOPDES_LOG_FORMAT`` and ``KOPDES_LOG_LEVEL`` hold there too. While a job's message is being
processed, every line (Dramatiq's own included) carries the job's id, kind and attempt; the
job runner refines the attempt with the one it claimed.
"""

from __future__ import annotations

from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy

from shared.config import get_settings
from shared.jobs.actors import ACTOR_OF
from shared.logs import configure_logging, job_var

KIND_OF_ACTOR = {actor: kind.value for kind, actor in ACTOR_OF.items()}


class JobContext(Middleware):
    def after_process_boot(self, broker: Broker) -> None:
        configure_logging(get_settings())

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        kind = KIND_OF_ACTOR.get(message.actor_name)
        args = message.args
        if kind is None or not args:
            return
        job_var.set(
            {"job_id": args[0], "kind": kind, "attempt": message.options.get("retries", 0) + 1}
        )

    def after_process_message(self, broker: Broker, message: MessageProxy, **_: Any) -> None:
        job_var.set(None)

    after_skip_message = after_process_message
