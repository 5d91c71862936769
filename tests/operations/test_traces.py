"""Traces (the `otel` extra, installed with the dev tools): spans per request, GraphQL and SQL,
and a job's spans in the trace of the request that queued it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from shared import tracing
from shared.models import JobStatus, Role
from tests.access.support import app_client, bearer, issue
from tests.support import wait_for_job


@pytest.fixture(scope="module")
def exporter() -> Iterator[InMemorySpanExporter]:
    spans = InMemorySpanExporter()
    assert tracing.configure_tracing(spans)
    yield spans
    tracing.stop_tracing()  # the rest of the session runs untraced


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


def ancestors(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> list[ReadableSpan]:
    found = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        found.append(span)
    return found


async def test_a_request_span_has_graphql_and_database_children(
    db: Any, spans: InMemorySpanExporter
) -> None:
    async with app_client() as client:
        answer = await client.post(
            "/graphql", json={"query": "query Editions { editions { label } }"}
        )
    assert answer.status_code == 200
    finished = spans.get_finished_spans()
    by_id = {s.context.span_id: s for s in finished}
    requests = [s for s in finished if s.name == "POST /graphql"]
    assert len(requests) == 1
    request = requests[0]
    assert request.kind == SpanKind.SERVER
    statements = [s for s in finished if s.attributes and "db.statement" in s.attributes]
    assert statements, [s.name for s in finished]
    for statement in statements:
        assert statement.context.trace_id == request.context.trace_id
        assert request in ancestors(statement, by_id)
    # GraphQL's own span sits between the request and its statements.
    assert "GraphQL Query: Editions" in [s.name for s in ancestors(statements[-1], by_id)]


async def test_a_job_continues_the_trace_of_the_request_that_queued_it(
    db: Any, worker: Any, spans: InMemorySpanExporter
) -> None:
    _, token = issue(db, Role.operations, name="tracer")
    async with app_client() as client:
        answer = await client.post(
            "/graphql",
            json={"query": "mutation Recompute { recomputeCoverage { job { databaseId } } }"},
            headers=bearer(token),
        )
    body = answer.json()
    assert "errors" not in body, body
    job_id = int(body["data"]["recomputeCoverage"]["job"]["databaseId"])
    assert wait_for_job(db, job_id).status == JobStatus.succeeded
    finished = spans.get_finished_spans()
    request = next(s for s in finished if s.name == "POST /graphql")
    jobs = [s for s in finished if s.name == "job coverage"]
    assert len(jobs) == 1
    job = jobs[0]
    assert job.attributes is not None
    assert job.attributes["kopdes.job_id"] == job_id
    assert job.context.trace_id == request.context.trace_id
    # The job's statements are in that trace too, under the job's span.
    by_id = {s.context.span_id: s for s in finished}
    under_job = [
        s
        for s in finished
        if s.attributes and "db.statement" in s.attributes and job in ancestors(s, by_id)
    ]
    assert under_job
