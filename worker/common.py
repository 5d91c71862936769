"""Actors every job shares."""

from __future__ import annotations

from typing import Any

import dramatiq

from shared.broker import ensure_broker
from shared.db import get_database
from shared.jobs import FAILURE_CALLBACK, give_up

ensure_broker()


@dramatiq.actor(actor_name=FAILURE_CALLBACK, max_retries=0)
def job_gave_up(message: dict[str, Any], exception: dict[str, Any]) -> None:
    """Failure callback: a job whose retries are spent is marked failed with the reason."""
    job_id = message["args"][0]
    give_up(get_database(), job_id, f"{exception.get('type')}: {exception.get('message')}")
