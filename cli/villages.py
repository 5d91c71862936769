"""``kopdes import villages``: import an edition of the official list of villages."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.app import (
    AllowMassRetirementOption,
    DryRunOption,
    JsonOption,
    WaitOption,
    cli_actor,
    editions_app,
    import_app,
)
from cli.jobs import follow, run_to_end
from cli.output import err_console, print_diff, print_problems, print_samples
from shared.broker import BrokerUnavailable
from shared.config import get_settings
from shared.db import get_database
from shared.errors import ServiceError
from shared.jobs.actors import VILLAGE_IMPORT
from shared.jobs.queue import enqueue_job
from shared.logs import configure_logging
from shared.models import ImportJob
from shared.villages.bundled import BUNDLED_EDITION
from shared.villages.service import (
    EditionInfo,
    create_bundled_job,
    job_report,
    start_edition_restore,
    start_village_import,
)

console = err_console()


@import_app.command("villages")
def import_villages(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Flat list (.csv/.tsv/.xlsx/.json, optionally .gz), a folder or .zip of the"
            " four per-level CSV files; several paths are read as one edition"
        ),
    ] = None,
    edition: Annotated[
        str | None,
        typer.Option(
            "--edition", "--label", help="Edition label, e.g. 2025 (required; GraphQL: label)"
        ),
    ] = None,
    decree: Annotated[
        str | None, typer.Option(help="Decree number, e.g. 'Kepmendagri 300.2.2-2138/2025'")
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            "--date",
            "--published-on",
            help="Date the decree was adopted, YYYY-MM-DD (GraphQL: publishedOn)",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="CSV of old_code,new_code: carries cooperatives and proposals to re-coded villages"
        ),
    ] = None,
    dry_run: DryRunOption = False,
    wait: WaitOption = False,
    as_json: JsonOption = False,
    bundled: Annotated[
        bool, typer.Option("--bundled", help="Import the 2025 edition shipped with kopdes")
    ] = False,
    allow_mass_retirement: AllowMassRetirementOption = False,
) -> None:
    """Import an edition of the official village list (Kepmendagri annex)."""
    settings = get_settings()
    configure_logging(settings)
    db = get_database()
    actor = cli_actor()

    refuse = partial(_refuse, as_json)

    if bundled == bool(paths):
        refuse("give either PATH... or --bundled")
    try:
        published_on = date.fromisoformat(published) if published else None
    except ValueError:
        refuse(f"--date/--published-on {published!r} is not a date (YYYY-MM-DD)")
        return
    if bundled:
        info = EditionInfo(
            label=edition or BUNDLED_EDITION.label,
            decree=decree or BUNDLED_EDITION.decree,
            published_on=published_on or BUNDLED_EDITION.published_on,
        )
    else:
        if not edition:
            refuse("name the edition: --edition (or --label) LABEL, e.g. --edition 2025")
        info = EditionInfo(label=edition or "", decree=decree, published_on=published_on)

    def create() -> ImportJob:
        if bundled:
            created = create_bundled_job(
                db,
                edition=info,
                actor=actor,
                dry_run=dry_run,
                allow_mass_retirement=allow_mass_retirement,
            )
            enqueue_job(VILLAGE_IMPORT, created.id)
            return created
        return start_village_import(
            db,
            paths or [],
            edition=info,
            mapping=mapping,
            dry_run=dry_run,
            actor=actor,
            allow_mass_retirement=allow_mass_retirement,
        )

    _run_and_report(create, wait=wait, as_json=as_json, refuse=refuse)


@editions_app.command("restore")
def restore_edition(
    label: Annotated[str, typer.Argument(help="The edition to make current again, e.g. 2025")],
    allow_mass_retirement: AllowMassRetirementOption = False,
    as_json: JsonOption = False,
) -> None:
    """Make an earlier edition current again, from its own file, as one swap (with its diff,
    an audit entry and a coverage recalculation)."""
    configure_logging(get_settings())
    db = get_database()

    refuse = partial(_refuse, as_json)

    def create() -> ImportJob:
        return start_edition_restore(
            db, label, actor=cli_actor(), allow_mass_retirement=allow_mass_retirement
        )

    _run_and_report(create, wait=True, as_json=as_json, refuse=refuse)


def _refuse(as_json: bool, message: str) -> None:
    if as_json:
        typer.echo(json.dumps({"status": "refused", "message": message, "error_count": 0}))
    else:
        console.print(f"[red]refused:[/red] {message}")
    raise typer.Exit(2)


def _run_and_report(
    create: Callable[[], ImportJob],
    *,
    wait: bool,
    as_json: bool,
    refuse: Callable[[str], None],
) -> None:
    """Run the job here to the end (embedded runtime) or queue it (and follow it with
    ``wait``); print its report; exit 1 unless it succeeded."""
    db = get_database()
    started = time.monotonic()
    try:
        if db.settings.embedded:
            # Without Redis no worker outside this process would see the job: run it here,
            # to the end, with the coverage recalculation after it.
            if not wait and not as_json:
                console.print("no Redis configured: running the job in this process")
            final = run_to_end(db, create, console, show=not as_json)
        else:
            job = create()
            if not (wait or as_json):
                console.print(f"queued village import job {job.id}")
                typer.echo(job.id)
                return
            final = follow(db, job.id, console, show=not as_json)
    except ServiceError as exc:
        refuse(exc.message)
        return
    except BrokerUnavailable as exc:
        refuse(f"{exc} (the job was recorded but not queued)")
        return
    report = job_report(final)
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, default=str))
    else:
        _print_report(report, time.monotonic() - started, (final.counts or {}).get("sample") or [])
    if report["status"] != "succeeded":
        raise typer.Exit(1)


def _print_report(report: dict[str, Any], seconds: float, samples: list[dict[str, Any]]) -> None:
    status = report["status"]
    colour = "green" if status == "succeeded" else "red"
    edition = report["edition"] or {}
    console.print(
        f"[{colour}]{status}[/{colour}] job {report['job_id']}, edition"
        f" {edition.get('label')}{' (dry run)' if report['dry_run'] else ''}:"
        f" {report['message']} [{seconds:.1f}s]"
    )
    if status == "succeeded":  # a failed import changed nothing: no table of zeros
        print_diff(report["diff"])
        title = "what it would change (first of each kind)" if report["dry_run"] else "changes"
        print_samples(console, samples, title=title)
    print_problems(console, report)
