"""Registry commands: import cooperatives or proposals; the Kaltim and national demo sets."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from cli.app import DryRunOption, JsonOption, WaitOption, cli_actor, demo_app, import_app
from cli.jobs import follow
from cli.output import err_console, print_problems
from shared.broker import BrokerUnavailable
from shared.coverage.flow import recompute_now
from shared.db import Database, get_database
from shared.models import ImportJob, JobStatus, Region, RegionLevel
from shared.registry.datasets import (
    KALTIM_PROPOSALS,
    KALTIM_REGISTRY,
    PROPOSAL_COLUMNS,
    REGISTRY_COLUMNS,
    Village,
    national_proposals,
    national_registry,
    write_csv,
)
from shared.registry.flow import FileFormat
from shared.registry.service import import_now, job_report, start_cooperative_import
from shared.villages.service import import_bundled_now

console = err_console()

KALTIM_PREFIX = "64."


def read_rows(path: Path) -> Iterator[dict[str, str]]:
    """The rows of a reference CSV file, as written."""
    with path.open(encoding="utf-8", newline="") as handle:
        yield from csv.DictReader(handle)


def _report(job: ImportJob, *, as_json: bool) -> None:
    report = job_report(job)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        colour = "green" if job.status == JobStatus.succeeded else "red"
        console.print(f"[{colour}]job {job.id} {job.status.value}[/{colour}]: {job.message}")
        counts = report["counts"]
        if counts and job.status == JobStatus.succeeded:
            console.print("  " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        print_problems(console, report)
    if job.status != JobStatus.succeeded:
        raise typer.Exit(1)


def _import(path: Path, fmt: FileFormat, *, wait: bool, as_json: bool, dry_run: bool) -> None:
    if not path.is_file():
        console.print(f"[red]{path} does not exist[/red]")
        raise typer.Exit(2)
    db = get_database()
    actor = cli_actor()
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
    _report(follow(db, queued.id, console, show=not as_json), as_json=as_json)


def _import_command(file_format: FileFormat, doc: str) -> Callable[..., None]:
    def command(
        path: Annotated[Path, typer.Argument(help="The file: CSV, XLSX or JSON")],
        wait: WaitOption = False,
        as_json: JsonOption = False,
        dry_run: DryRunOption = False,
    ) -> None:
        _import(path, file_format, wait=wait, as_json=as_json, dry_run=dry_run)

    command.__doc__ = doc
    return command


import_app.command("cooperatives")(
    _import_command(
        FileFormat.registry,
        "Import a registry file: one row per cooperative, upserted by registry id.",
    )
)
import_app.command("proposals")(
    _import_command(
        FileFormat.proposals, "Import proposals for new cooperatives, upserted by proposal id."
    )
)


def _ensure_villages(db: Database, province: str | None) -> None:
    """Load the bundled official list when the villages needed are absent."""
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
    job = import_now(db, path, file_format=FileFormat(file_format))
    if job.status != JobStatus.succeeded:
        _report(job, as_json=False)
    console.print(f"{file_format}: {job.message} ({job.timings.get('total', 0):.1f}s)")


def _recompute(db: Database) -> None:
    job = recompute_now(db, requested_by="cli:demo")
    console.print(f"coverage: {job.message} ({job.timings.get('total', 0):.2f}s)")


@demo_app.command("kaltim")
def demo_kaltim(
    recompute: Annotated[bool, typer.Option(help="Recalculate coverage at the end")] = True,
) -> None:
    """Load the Kaltim reference data set: villages if absent, registry, proposals."""
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
    path = out or Path("var") / f"national-{seed}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Kalimantan Timur is the reference set itself, row for row, so that `demo kaltim` and
    # `demo national` compose in either order: each finds the other's Kaltim rows its own.
    others = [v for v in villages if not v.code.startswith(KALTIM_PREFIX)]
    rows = chain(national_registry(others, seed=seed), read_rows(KALTIM_REGISTRY))
    n = write_csv(rows, path, REGISTRY_COLUMNS)
    console.print(
        f"generated {n} cooperatives over {len(villages)} villages (Kaltim's from its"
        f" reference set) in {time.perf_counter() - started:.1f}s -> {path}"
    )
    _step(db, path, "registry")
    proposals = path.with_name(f"national-proposals-{seed}.csv")
    write_csv(
        chain(national_proposals(others, seed=seed), read_rows(KALTIM_PROPOSALS)),
        proposals,
        PROPOSAL_COLUMNS,
    )
    _step(db, proposals, "proposals")
    if recompute:
        _recompute(db)
