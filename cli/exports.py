"""``kopdes export DATASET``: a dataset in a file, with its manifest, written here."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.app import app, cli_actor
from shared import files
from shared.cooperatives.queries import CooperativeFilter
from shared.db import get_database
from shared.errors import ServiceError
from shared.exports import service
from shared.exports.datasets import Dataset
from shared.exports.flow import export_now
from shared.exports.formats import Format
from shared.models import JobStatus

console = Console(stderr=True)


@app.command("export")
def export(
    dataset: Annotated[Dataset, typer.Argument(help="COOPERATIVES, PROPOSALS or COVERAGE")],
    file_format: Annotated[
        Format, typer.Option("--format", help="CSV, NDJSON, XLSX or PARQUET")
    ] = Format.CSV,
    province: Annotated[
        str | None, typer.Option("--province", help="Only this province (a code like 64)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="The file to write (default: its own name)")
    ] = None,
) -> None:
    """Export a dataset to a file, run here; its manifest goes beside it (FILE.manifest.json)
    and to standard output."""
    db = get_database()
    try:
        request = service.checked(
            dataset, file_format, CooperativeFilter(region_code=province), scope=None
        )
        with db.transaction() as session:
            created = service.create_export(session, cli_actor(), request)
    except ServiceError as exc:
        field = {"filter.region_code": "--province", "format": "--format"}.get(exc.field or "")
        console.print(f"[red]refused[/red] {field or exc.field}: {exc.message}")
        raise typer.Exit(2) from None
    job = export_now(db, created.id)
    if job.status != JobStatus.succeeded:
        console.print(f"[red]export failed[/red]: {job.message}")
        raise typer.Exit(1)
    manifest = job.counts["manifest"]
    target = output or Path(manifest["file_name"])
    with (
        db.sync_session() as session,
        files.open_file(session, job.counts["file"]) as src,
        target.open("wb") as out,
    ):
        shutil.copyfileobj(src, out, 1 << 20)
    text = json.dumps(manifest, ensure_ascii=False, indent=2)
    target.with_name(target.name + ".manifest.json").write_text(text + "\n", encoding="utf-8")
    console.print(f"[green]{manifest['row_count']} rows[/green] written to {target}")
    typer.echo(text)
