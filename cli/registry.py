"""Registry commands: import cooperatives or proposals; the Kaltim and national demo sets."""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import Annotated, Unpack

import typer
from sqlalchemy import func, select

from cli.app import DryRunOption, JsonOption, WaitOption, cli_actor, demo_app, import_app
from cli.jobs import follow, print_reconciliation, run_to_end
from cli.output import err_console, print_problems
from shared.broker import BrokerUnavailable
from shared.coverage.flow import recompute_now
from shared.db import Database, get_database
from shared.errors import ServiceError
from shared.models import ImportJob, JobStatus, Region, RegionLevel, UnplacedRegistryRow
from shared.registry.datasets import (
    KALTIM_PROPOSALS,
    KALTIM_REGISTRY,
    PROPOSAL_COLUMNS,
    REGISTRY_COLUMNS,
    Village,
    national_proposals,
    write_csv,
)
from shared.registry.flow import FileFormat
from shared.registry.national import KALTIM, SNAPSHOT, SNAPSHOT_SOURCE, national_plan
from shared.registry.service import Options, import_now, job_report, start_cooperative_import
from shared.villages.service import import_bundled_now

console = err_console()


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
        if job.reconciliation:
            print_reconciliation(console, job.reconciliation)
    if job.status != JobStatus.succeeded:
        raise typer.Exit(1)


def _import(path: Path, *, wait: bool, as_json: bool, **options: Unpack[Options]) -> None:
    if not path.is_file():
        console.print(f"[red]{path} does not exist[/red]")
        raise typer.Exit(2)
    overrides = options.get("overrides")
    if overrides is not None and not overrides.is_file():
        console.print(f"[red]--overrides: {overrides} does not exist[/red]")
        raise typer.Exit(2)
    db = get_database()
    actor = cli_actor()
    try:
        if db.settings.embedded:
            # No worker outside this process would see the job: run it here, to the end,
            # with the coverage recalculation after it (whether or not --wait was given).
            job = run_to_end(
                db,
                lambda: start_cooperative_import(db, path, actor, **options),
                console,
                show=not as_json,
            )
            _report(job, as_json=as_json)
            return
        queued = start_cooperative_import(db, path, actor, **options)
    except ServiceError as exc:
        option = f"--{exc.field.replace('_', '-')}: " if exc.field else ""
        console.print(f"[red]{option}{exc.message}[/red]")
        raise typer.Exit(2) from exc
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
        _import(path, file_format=file_format, wait=wait, as_json=as_json, dry_run=dry_run)

    command.__doc__ = doc
    return command


@import_app.command("cooperatives")
def import_cooperatives(
    path: Annotated[Path, typer.Argument(help="The file: CSV, XLSX or JSON")],
    wait: WaitOption = False,
    as_json: JsonOption = False,
    dry_run: DryRunOption = False,
    source: Annotated[
        str | None,
        typer.Option(help="Name-keyed files: whose place ids they carry (default simkopdes)"),
    ] = None,
    min_match_rate: Annotated[
        float | None,
        typer.Option(help="Name-keyed files: refuse below this share matched per level (0-1)"),
    ] = None,
    allow_low_match: Annotated[
        bool, typer.Option("--allow-low-match", help="Import even below the match rate")
    ] = False,
    overrides: Annotated[
        Path | None, typer.Option(help="Overrides file (source_id,code) that wins over names")
    ] = None,
) -> None:
    """Import a registry file: one row per cooperative (by village codes or place names), or
    a regional summary by place names; upserted by registry id."""
    _import(
        path,
        file_format=FileFormat.registry,
        wait=wait,
        as_json=as_json,
        dry_run=dry_run,
        source=source,
        min_match_rate=min_match_rate,
        allow_low_match=allow_low_match,
        overrides=overrides,
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
        Path | None, typer.Option(help="Where to write the generated file (default: var/)")
    ] = None,
    recompute: Annotated[bool, typer.Option(help="Recalculate coverage at the end")] = True,
) -> None:
    """Load the national demo: SIMKOPDES's count of cooperatives per regency (August 2026,
    real) placed on each regency's villages, with generated names, stages and members;
    Kalimantan Timur is the Kaltim reference set; proposals are generated."""
    db = get_database()
    _ensure_villages(db, None)
    started = time.perf_counter()
    summary = import_now(db, SNAPSHOT, source=SNAPSHOT_SOURCE)
    if summary.status != JobStatus.succeeded or not summary.reconciliation:
        _report(summary, as_json=False)
    console.print(f"registry snapshot {SNAPSHOT.name}: {summary.message}")
    with db.sync_session() as session:
        for line, place, outcome, count, reason in session.execute(
            select(
                UnplacedRegistryRow.line,
                UnplacedRegistryRow.place,
                UnplacedRegistryRow.outcome,
                UnplacedRegistryRow.cooperatives,
                UnplacedRegistryRow.reason,
            )
            .where(UnplacedRegistryRow.source == SNAPSHOT_SOURCE)
            .order_by(UnplacedRegistryRow.line)
        ):
            console.print(f"  not placed (line {line}, {outcome}, {count}): {place}: {reason}")
        villages = [
            Village(code, name, kind.value if kind else "desa")
            for code, name, kind in session.execute(
                select(Region.code, Region.name, Region.kind).where(
                    Region.level == RegionLevel.village, Region.retired_edition_id.is_(None)
                )
            )
        ]
    assert summary.reconciliation is not None
    plan = national_plan(summary.reconciliation["regions"], villages, seed=seed)
    for code, count in plan.without_villages:
        console.print(f"  not placed: regency {code} has no villages here ({count} cooperatives)")
    path = out or Path("var") / f"national-{seed}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    n = write_csv(plan.rows, path, REGISTRY_COLUMNS)
    console.print(
        f"generated {n} cooperatives over {len(villages)} villages in"
        f" {time.perf_counter() - started:.1f}s -> {path}"
    )
    _step(db, path, "registry")
    # Kaltim's proposals are the reference set's, row for row; the rest are generated.
    proposals = path.with_name(f"national-proposals-{seed}.csv")
    elsewhere = [v for v in villages if not v.code.startswith(KALTIM + ".")]
    with KALTIM_PROPOSALS.open(encoding="utf-8", newline="") as handle:
        kaltim_proposals = list(csv.DictReader(handle))
    write_csv(
        chain(national_proposals(elsewhere, seed=seed), kaltim_proposals),
        proposals,
        PROPOSAL_COLUMNS,
    )
    _step(db, proposals, "proposals")
    if recompute:
        _recompute(db)
