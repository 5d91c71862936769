"""Retries that retry: a transient failure (a lost connection, a deadlock) puts the job back
in the queue and Dramatiq runs it again with backoff; a permanent one fails it at once; a job
whose retries are spent fails once, naming the last reason. On the broker of the run (Redis,
or the embedded in-process queue: the same semantics)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from shared.audit import Actor
from shared.config import get_settings
from shared.db import Database
from shared.errors import Conflict
from shared.jobs.faults import is_transient
from shared.models import AuditEntry, JobStatus
from shared.villages import flow
from shared.villages.service import start_village_import
from tests.support import wait_for_job
from tests.villages.common import E2025, WILAYAH_2025, region_count


def _lost_connection() -> OperationalError:
    return OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))


@pytest.fixture
def failing(request: pytest.FixtureRequest) -> Iterator[list[int]]:
    """Make the first ``n`` attempts fail at the "writing" hook with the given error;
    yields the attempts seen."""
    times, error = request.param
    seen: list[int] = []

    def hook(job_id: int, session: Session | None) -> None:
        seen.append(job_id)
        if len(seen) <= times:
            raise error()

    flow.HOOKS["writing"].append(hook)
    yield seen
    flow.HOOKS["writing"].remove(hook)


def _audit(db: Database, job_id: int) -> list[tuple[str, Any]]:
    with db.sync_session() as session:
        rows = session.execute(
            select(AuditEntry.operation, AuditEntry.after)
            .where(AuditEntry.target_type == "import_job", AuditEntry.target_id == str(job_id))
            .order_by(AuditEntry.id)
        ).all()
    return [(op, after) for op, after in rows]


@pytest.mark.parametrize("failing", [(1, _lost_connection)], indirect=True)
def test_a_lost_connection_is_retried_and_the_second_attempt_succeeds(
    db: Database, worker: object, failing: list[int]
) -> None:
    job = start_village_import(db, [WILAYAH_2025], edition=E2025, actor=Actor("test"))
    finished = wait_for_job(db, job.id, timeout=60)
    assert finished.status == JobStatus.succeeded, finished.message
    assert finished.attempts == 2
    assert failing == [job.id, job.id]
    assert region_count(db) > 0
    ops = _audit(db, job.id)
    assert [op for op, _ in ops] == ["queue_villages_job", "job.retry"]
    assert ops[1][1]["attempt"] == 1
    assert "OperationalError" in ops[1][1]["reason"]


@pytest.mark.parametrize("failing", [(99, _lost_connection)], indirect=True)
def test_a_job_whose_retries_are_spent_fails_once_with_the_last_reason(
    db: Database, worker: object, failing: list[int]
) -> None:
    job = start_village_import(db, [WILAYAH_2025], edition=E2025, actor=Actor("test"))
    finished = wait_for_job(db, job.id, timeout=60)
    tries = get_settings().job_max_retries + 1
    assert finished.status == JobStatus.failed
    assert finished.attempts == tries == len(failing)
    assert finished.message.startswith(f"failed for good after {tries} attempts (3 retries): ")
    assert "server closed the connection unexpectedly" in finished.message
    ops = [op for op, _ in _audit(db, job.id)]
    assert ops == ["queue_villages_job", *["job.retry"] * tries, "job.gave_up"]
    assert region_count(db) == 0  # every attempt rolled back


@pytest.mark.parametrize(
    ("failing", "message"),
    [
        ((1, lambda: KeyError("bug")), "KeyError: 'bug'"),
        ((1, lambda: Conflict("edition", "refused")), "edition: refused"),
    ],
    indirect=["failing"],
    ids=["fault-in-the-code", "refusal"],
)
def test_a_permanent_failure_fails_the_job_at_once(
    db: Database, worker: object, failing: list[int], message: str
) -> None:
    job = start_village_import(db, [WILAYAH_2025], edition=E2025, actor=Actor("test"))
    finished = wait_for_job(db, job.id, timeout=60)
    assert finished.status == JobStatus.failed
    assert finished.attempts == 1
    assert failing == [job.id]
    assert finished.message == message
    assert [op for op, _ in _audit(db, job.id)] == ["queue_villages_job"]


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (_lost_connection(), True),
        (OperationalError("UPDATE", {}, _PgError("40P01")), True),  # deadlock
        (OperationalError("UPDATE", {}, _PgError("40001")), True),  # serialization
        (OperationalError("SELECT", {}, _PgError("55000")), True),  # not accepting connections
        (ValueError("bad cell"), False),
        (Conflict("edition", "already imported"), False),
    ],
    ids=["lost", "deadlock", "serialization", "no-connections", "value", "refusal"],
)
def test_failures_are_classified(error: BaseException, transient: bool) -> None:
    assert is_transient(error) is transient


def test_broker_hiccups_are_transient() -> None:
    import redis

    assert is_transient(redis.ConnectionError("Connection reset by peer"))
    assert is_transient(redis.TimeoutError("Timeout reading from socket"))
