"""Following a queued job from the command line until it ends, with a progress bar."""

from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from shared.db import Database
from shared.jobs.store import FINISHED, load_job
from shared.models import ImportJob

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
