"""Jobs from the command line: following a queued job until it ends, with a progress bar;
``kopdes jobs list`` and ``kopdes jobs show`` for operators (with a name-keyed import's
reconciliation report)."""

from __future__ import annotations

import json
import sys
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.app import JsonOption, jobs_app
from cli.output import err_console, print_diff, print_problems, print_samples, print_table
from shared.db import Database, get_database
from shared.imports.report import job_report as common_report
from shared.jobs.store import FINISHED, list_jobs, load_job
from shared.models import ImportJob, JobKind, JobStatus
from shared.registry.placing import levels_of, write_decisions_csv
from shared.registry.service import job_report as registry_report
from shared.villages.service import job_report as villages_report

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


# --- kopdes jobs list | show ------------------------------------------------------------------


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
