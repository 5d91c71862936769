"""Every actor, declared on the broker of the current settings.

An actor takes a job id, never a payload, and hands it with its kind's flow to the job runner
(``shared.jobs.runner``): the runner claims the job (a message that arrives twice finds it
claimed or finished), runs the flow and records the outcome. This module is what
``kopdes worker`` (and the embedded worker) loads.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import dramatiq
from dramatiq import Broker, Middleware

from shared.broker import ensure_broker
from shared.coverage.flow import COVERAGE_RECOMPUTE
from shared.db import get_database
from shared.exports.flow import EXPORT
from shared.files import sweep_expired
from shared.jobs import actors, store
from shared.jobs.runner import JobFailed, run_claimed
from shared.registry.flow import REGISTRY_IMPORT
from shared.villages.flow import VILLAGE_IMPORT
from worker.middleware import JobContext


class SweepFilesOnBoot(Middleware):
    """A worker that starts deletes the stored files past their retention (and each job's end
    does again: ``runner.run_claimed``), so an idle deployment does not keep them forever."""

    def after_worker_boot(self, broker: Broker, worker: Any) -> None:
        sweep_expired(get_database())


_broker = ensure_broker()
for _middleware in (JobContext, SweepFilesOnBoot):
    if not any(isinstance(m, _middleware) for m in _broker.middleware):
        _broker.add_middleware(_middleware())

# The runner raises only transient failures (lost connections, deadlocks, the broker out of
# reach: shared.jobs.faults), which Dramatiq retries with backoff (KOPDES_JOB_MAX_RETRIES,
# KOPDES_JOB_RETRY_*_BACKOFF_MS); a permanent one ends the job at once and is not raised.
job_actor = partial(dramatiq.actor, throws=(JobFailed,))


@job_actor(actor_name=actors.VILLAGE_IMPORT)
def import_villages(job_id: int) -> None:
    """Import an edition of the official village list (job kind ``villages``)."""
    run_claimed(get_database(), job_id, VILLAGE_IMPORT)


@job_actor(actor_name=actors.REGISTRY_IMPORT)
def import_cooperatives(job_id: int) -> None:
    """Import a registry or proposals file (job kind ``cooperatives``)."""
    run_claimed(get_database(), job_id, REGISTRY_IMPORT)


@job_actor(actor_name=actors.COVERAGE_RECOMPUTE)
def recompute_coverage(job_id: int) -> None:
    """Recalculate all coverage figures (job kind ``coverage``)."""
    run_claimed(get_database(), job_id, COVERAGE_RECOMPUTE)


@job_actor(actor_name=actors.EXPORT)
def export_data(job_id: int) -> None:
    """Write a partner's export file (job kind ``export``)."""
    run_claimed(get_database(), job_id, EXPORT)


@dramatiq.actor(actor_name=actors.JOB_GAVE_UP, max_retries=5)
def job_gave_up(message: dict[str, Any], retries: dict[str, Any]) -> None:
    """``on_retry_exhausted``: a job whose retries are spent is marked failed, with the
    reason of its last attempt."""
    store.give_up(get_database(), int(message["args"][0]), retried=int(retries.get("retries", 0)))
