"""Registry commands: import cooperatives or proposals; the Kaltim and national demo sets."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from shared.cli.app import cli_actor, demo_app, import_app
from shared.db import Database
from shared.models import ImportJob, JobStatus

console = Console(stderr=True)


def _wait_for(db: Database, job_id: int, *, show: bool) -> ImportJob:
    """Poll a queued job until it ends, with a progress bar."""
    from shared.jobs import get_job

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} rows"),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
    ) as bar:
        task = bar.add_task("queued", total=None)
        while True:
            with db.sync_session() as session:
                job = get_job(session, job_id)
                assert job is not None
                session.expunge(job)
            bar.update(
                task,
                description=job.phase.value,
                completed=job.rows_done,
                total=job.rows_total,
            )
            if job.status in (JobStatus.succeeded, JobStatus.failed):
                return job
            time.sleep(0.25)


def _report(job: ImportJob, *, as_json: bool) -> None:
    from shared.registry.service import job_report

    report = job_report(job)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        colour = "green" if job.status == JobStatus.succeeded else "red"
        console.print(f"[{colour}]job {job.id} {job.status.value}[/{colour}]: {job.message}")
        counts = report["counts"]
        if counts:
            console.print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for error in report["errors"]:
            console.print(
                f"  line {error['line']}, {error['field']} [{error['code']}]: {error['message']}"
            )
        if job.error_count > len(report["errors"]):
            console.print(f"  ... and {job.error_count - len(report['errors'])} more errors")
        for warning in report["warnings"]:
            console.print(
                f"  [yellow]warning[/yellow] line {warning['line']}, {warning['field']}:"
                f" {warning['message']}"
            )
    if job.status != JobStatus.succeeded:
        raise typer.Exit(1)


def _import(path: Path, file_format: str, *, wait: bool, as_json: bool, dry_run: bool) -> None:
    from shared.broker import BrokerUnavailable
    from shared.db import get_database
    from shared.registry.service import FileFormat, import_now, start_cooperative_import

    if not path.is_file():
        console.print(f"[red]{path} does not exist[/red]")
        raise typer.Exit(2)
    db = get_database()
    actor = cli_actor()
    fmt = FileFormat(file_format)
    if wait and db.settings.embedded:
        # No worker runs beside this process in the embedded runtime: do the work here.
        if as_json:
            job = import_now(db, path, actor=actor, file_format=fmt, dry_run=dry_run)
        else:
            with console.status(f"importing {path.name}", spinner="dots"):
                job = import_now(db, path, actor=actor, file_format=fmt, dry_run=dry_run)
        _report(job, as_json=as_json)
        return
    try:
        queued = start_cooperative_import(db, path, actor, file_format=fmt, dry_run=dry_run)
    except BrokerUnavailable as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(3) from exc
    if not wait:
        if as_json:
            typer.echo(json.dumps({"id": queued.id, "status": queued.status.value}))
        else:
            console.print(f"queued import job {queued.id}")
        return
    _report(_wait_for(db, queued.id, show=not as_json), as_json=as_json)


WaitOption = Annotated[
    bool, typer.Option("--wait/--no-wait", help="Wait for the outcome (runs it here if embedded)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print only the job report as JSON")]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="Check the file and count changes; write nothing")
]


@import_app.command("cooperatives")
def import_cooperatives(
    path: Annotated[Path, typer.Argument(help="Registry file, CSV or XLSX")],
    wait: WaitOption = False,
    as_json: JsonOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Import a registry file: one row per cooperative, upserted by registry id."""
    _import(path, "registry", wait=wait, as_json=as_json, dry_run=dry_run)


@import_app.command("proposals")
def import_proposals(
    path: Annotated[Path, typer.Argument(help="Proposals file, CSV or XLSX")],
    wait: WaitOption = False,
    as_json: JsonOption = False,
    dry_run: DryRunOption = False,
) -> None:
    """Import proposals for new cooperatives, upserted by proposal id."""
    _import(path, "proposals", wait=wait, as_json=as_json, dry_run=dry_run)


def _ensure_villages(db: Database, province: str | None) -> None:
    """Load the bundled official list when the villages needed are absent."""
    from sqlalchemy import func, select

    from shared.models import Region, RegionLevel
    from shared.villages.bundled import import_bundled_now

    with db.sync_session() as session:
        query = select(func.count()).where(Region.level == RegionLevel.village)
        if province is not None:
            query = query.where(Region.province_code == province)
        present = session.execute(query).scalar_one()
    if present:
        return
    with console.status("importing the bundled official list", spinner="dots"):
        job = import_bundled_now(db)
    if job.status != JobStatus.succeeded:
        console.print(f"[red]village import failed[/red]: {job.message}")
        raise typer.Exit(1)
    console.print(f"villages: {job.message}")


def _step(db: Database, path: Path, file_format: str) -> None:
    from shared.registry.service import FileFormat, import_now

    job = import_now(db, path, file_format=FileFormat(file_format))
    if job.status != JobStatus.succeeded:
        _report(job, as_json=False)
    console.print(f"{file_format}: {job.message} ({job.timings.get('total', 0):.1f}s)")


def _recompute(db: Database) -> None:
    from shared.coverage.service import recompute_now

    job = recompute_now(db, requested_by="cli:demo")
    console.print(f"coverage: {job.message} ({job.timings.get('total', 0):.2f}s)")


@demo_app.command("kaltim")
def demo_kaltim(
    recompute: Annotated[bool, typer.Option(help="Recalculate coverage at the end")] = True,
) -> None:
    """Load the Kaltim reference data set: villages if absent, registry, proposals."""
    from shared.db import get_database
    from shared.registry.datasets import KALTIM_PROPOSALS, KALTIM_REGISTRY

    db = get_database()
    _ensure_villages(db, "64")
    _step(db, KALTIM_REGISTRY, "registry")
    _step(db, KALTIM_PROPOSALS, "proposals")
    if recompute:
        _recompute(db)


@demo_app.command("national")
def demo_national(
    seed: Annotated[int, typer.Option(help="Seed of the generator")] = 2025,
    out: Annotated[
        Path | None, typer.Option(help="Where to write the generated file (default: uploads)")
    ] = None,
    recompute: Annotated[bool, typer.Option(help="Recalculate coverage at the end")] = True,
) -> None:
    """Generate and load a national-scale registry (about 83,400 cooperatives) and proposals."""
    from sqlalchemy import select

    from shared.db import get_database
    from shared.models import Region, RegionLevel
    from shared.registry.datasets import (
        PROPOSAL_COLUMNS,
        REGISTRY_COLUMNS,
        Village,
        national_proposals,
        national_registry,
        write_csv,
    )

    db = get_database()
    _ensure_villages(db, None)
    started = time.perf_counter()
    with db.sync_session() as session:
        villages = [
            Village(code, name, kind.value if kind else "desa")
            for code, name, kind in session.execute(
                select(Region.code, Region.name, Region.kind).where(
                    Region.level == RegionLevel.village, Region.retired_edition_id.is_(None)
                )
            )
        ]
    path = out or Path(db.settings.upload_dir) / f"national-{seed}.csv"
    n = write_csv(national_registry(villages, seed=seed), path, REGISTRY_COLUMNS)
    console.print(
        f"generated {n} cooperatives over {len(villages)} villages in"
        f" {time.perf_counter() - started:.1f}s -> {path}"
    )
    _step(db, path, "registry")
    proposals = path.with_name(f"national-proposals-{seed}.csv")
    write_csv(national_proposals(villages, seed=seed), proposals, PROPOSAL_COLUMNS)
    _step(db, proposals, "proposals")
    if recompute:
        _recompute(db)
