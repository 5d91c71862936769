"""Jobs from the command line: following a queued job until it ends, with a progress bar; in
the embedded runtime, running it (and the coverage recalculation after it) in this process to
the end; a name-keyed import's reconciliation report (``kopdes jobs show``, in
``cli.job_commands``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from shared.broker import ensure_broker
from shared.db import Database
from shared.jobs.store import FINISHED, load_job
from shared.models import ImportJob, JobKind, JobStatus
from shared.registry.placing import levels_of
from worker import embedded

DECISIONS_SHOWN = 20

POLL_SECONDS = 0.2


def follow(db: Database, job_id: int, console: Console, *, show: bool) -> ImportJob:
    """Poll the job row until the job has ended; the bar (on ``console``) shows its phase and
    the rows done."""
    progress = Progress(
        TextColumn("[bold]job {task.fields[job]}[/bold] {task.fields[phase]:<10}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} rows"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=True,
    )
    with progress:
        task = progress.add_task("import", total=None, job=job_id, phase="queued")
        while True:
            job = load_job(db, job_id)
            progress.update(
                task,
                phase=job.phase.value,
                completed=job.rows_done or 0,
                total=job.rows_total or None,
            )
            if job.status in FINISHED:
                return job
            time.sleep(POLL_SECONDS)


def run_to_end(
    db: Database, create: Callable[[], ImportJob], console: Console, *, show: bool
) -> ImportJob:
    """Embedded runtime: create and queue a job on this process's own worker, follow it to
    its end, then let the coverage recalculation it asked for finish too, before the command
    exits (its in-memory queue dies with it). Returns the job as it ended."""
    ensure_broker(db.settings)
    mine = not embedded.running()  # a caller's worker (tests invoke commands in process) stays
    embedded.start(1)
    try:
        job = create()
        final = follow(db, job.id, console, show=show)
        drain_coverage(db, since=job.created_at)
    finally:
        if mine:
            embedded.stop()
    return final


def drain_coverage(db: Database, *, since: datetime, timeout: float = 300.0) -> None:
    """Wait for the coverage recalculations queued since ``since`` to finish."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.sync_session() as session:
            pending = session.execute(
                select(ImportJob.id).where(
                    ImportJob.kind == JobKind.coverage,
                    ImportJob.created_at >= since,
                    ImportJob.status.in_((JobStatus.queued, JobStatus.running)),
                )
            ).first()
        if pending is None:
            return
        time.sleep(POLL_SECONDS)


def print_reconciliation(console: Console, report: dict[str, Any]) -> None:
    """Match rates per level, outcomes, and the first decisions that were not exact."""
    summary = report.get("summary") or {}
    console.print(
        f"  reconciliation ({report.get('source')}): {summary.get('matched', 0)} of"
        f" {summary.get('rows', 0)} rows placed, minimum match rate"
        f" {float(report.get('min_match_rate') or 0):.1%}"
    )
    for level, figures in levels_of(report):
        outcomes = ", ".join(f"{k} {v}" for k, v in figures["outcomes"].items() if v)
        console.print(f"    {level}: {figures['match_rate']:.1%} matched ({outcomes})")
    decisions = report.get("decisions") or []
    for d in decisions[:DECISIONS_SHOWN]:
        code = f" -> {d['code']}" if d.get("code") else ""
        console.print(f"    line {d['line']} {d['outcome']}{code}: {d['place']}: {d['reason']}")
    if len(decisions) > DECISIONS_SHOWN:
        console.print(
            f"    ... and {len(decisions) - DECISIONS_SHOWN} more (all of them:"
            " kopdes jobs show ID --decisions-csv FILE)"
        )
