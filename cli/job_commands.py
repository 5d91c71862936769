"""``kopdes jobs list`` and ``kopdes jobs show``: the jobs an operator looks at, with how they
ended, their changes and problems, as the import commands print them."""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.app import JsonOption, jobs_app
from cli.jobs import print_reconciliation
from cli.output import err_console, print_diff, print_problems, print_samples, print_table
from shared.db import get_database
from shared.imports.report import job_report as common_report
from shared.jobs.store import list_jobs
from shared.models import ImportJob, JobKind, JobStatus
from shared.registry.placing import write_decisions_csv
from shared.registry.service import job_report as registry_report
from shared.villages.service import job_report as villages_report


def _report_of(job: ImportJob) -> dict[str, Any]:
    """The job's report as its import command's ``--json`` prints it, with who ran it."""
    if job.kind == JobKind.villages:
        report = villages_report(job)
    elif job.kind == JobKind.cooperatives:
        report = registry_report(job)
    else:
        report = {"job_id": job.id, "counts": job.counts or {}, **common_report(job)}
    return {
        **report,
        "kind": job.kind.value,
        "phase": job.phase.value,
        "attempts": job.attempts,
        "worker_id": job.worker_id,
        "requested_by": job.requested_by,
        "source_name": job.source_name,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@jobs_app.command("list")
def list_(
    kind: Annotated[JobKind | None, typer.Option(help="Only jobs of this kind")] = None,
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs with this status")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table")] = False,
) -> None:
    """The newest jobs: imports and coverage recalculations, with how they ended."""
    jobs = list_jobs(get_database(), kind=kind, status=status, limit=limit)
    if as_json:
        for job in jobs:
            typer.echo(json.dumps(_row(job), ensure_ascii=False, default=str))
        return
    table = Table()
    for title in ("id", "kind", "status", "phase", "attempts", "errors", "source", "created"):
        table.add_column(title, no_wrap=title in ("id", "created"))
    table.add_column("message")
    for job in jobs:
        row = _row(job)
        table.add_row(
            str(job.id),
            row["kind"] + (" (dry run)" if job.dry_run else ""),
            row["status"],
            row["phase"],
            str(job.attempts),
            str(job.error_count),
            job.source_name or "",
            f"{job.created_at:%Y-%m-%d %H:%M:%S}",
            job.message or "",
        )
    print_table(table)


def _row(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind.value,
        "status": job.status.value,
        "phase": job.phase.value,
        "dry_run": job.dry_run,
        "attempts": job.attempts,
        "error_count": job.error_count,
        "warning_count": job.warning_count,
        "source_name": job.source_name,
        "requested_by": job.requested_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "message": job.message,
    }


@jobs_app.command("show")
def show(
    job_id: Annotated[int, typer.Argument(help="The job's id (kopdes jobs list)")],
    as_json: JsonOption = False,
    decisions_csv: Annotated[
        Path | None,
        typer.Option(help="Write the reconciliation's decisions as CSV here ('-': stdout)"),
    ] = None,
) -> None:
    """One job: how it ended, its attempts, the changes (with samples), its problems with
    their codes in line order and, for a name-keyed registry import, its reconciliation."""
    console = err_console()
    with get_database().sync_session() as session:
        job = session.get(ImportJob, job_id)
    if job is None:
        console.print(f"[red]no job has id {job_id}[/red]")
        raise typer.Exit(1)
    if decisions_csv is not None:
        _write_decisions(console, job, decisions_csv)
        return
    report = _report_of(job)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
        return
    colour = {"succeeded": "green", "failed": "red"}.get(job.status.value, "yellow")
    print_ = partial(console.print, highlight=False)
    print_(
        f"job {job.id} {job.kind.value}{' (dry run)' if job.dry_run else ''}:"
        f" [{colour}]{job.status.value}[/{colour}] ({job.phase.value}), {job.message or ''}"
    )
    print_(
        f"  attempts {job.attempts}, worker {job.worker_id or '-'}, asked by"
        f" {job.requested_by or '-'}, file {job.source_name or '-'}"
    )
    ended = f", finished {job.finished_at:%Y-%m-%d %H:%M:%S}" if job.finished_at else ""
    print_(f"  created {job.created_at:%Y-%m-%d %H:%M:%S}{ended} UTC")
    if job.status == JobStatus.succeeded:
        counts = {k: v for k, v in (job.counts or {}).items() if k != "sample"}
        if counts:
            print_("  " + ", ".join(f"{k} {v}" for k, v in counts.items()), markup=False)
        if job.kind == JobKind.villages:
            print_diff(report["diff"])
            title = "what it would change" if job.dry_run else "changes (first of each kind)"
            print_samples(console, (job.counts or {}).get("sample") or [], title=title)
    print_problems(console, report)
    if job.reconciliation:
        print_reconciliation(console, job.reconciliation)


def _write_decisions(console: Console, job: ImportJob, target: Path) -> None:
    if not job.reconciliation:
        console.print(f"[red]job {job.id} has no reconciliation report[/red]")
        raise typer.Exit(1)
    if str(target) == "-":
        write_decisions_csv(job.reconciliation, sys.stdout)
    else:
        with target.open("w", encoding="utf-8", newline="") as handle:
            n = write_decisions_csv(job.reconciliation, handle)
        console.print(f"{n} decisions -> {target}")
