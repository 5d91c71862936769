"""Core commands: serve, worker, db, coverage, schema."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.app import app, cli_actor, coverage_app, db_app, schema_app
from shared.config import get_settings
from shared.coverage.flow import recompute_now
from shared.coverage.schedule import request_coverage_recompute
from shared.db import get_database
from shared.jobs.queue import recover_interrupted_jobs
from shared.logs import configure_logging
from shared.villages.bootstrap import queue_bundled_import_if_empty
from worker.embedded import EmbeddedWorker

console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default KOPDES_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KOPDES_PORT)")] = None,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database schema first")] = True,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes (production runtime only)")
    ] = 1,
) -> None:
    """Serve the API; in the embedded runtime also the worker, in threads."""
    import uvicorn

    from api.app import create_app
    from shared import migrate as migrations

    settings = get_settings()
    configure_logging(settings)
    if workers > 1 and settings.embedded:
        console.print(
            "[red]--workers needs Redis:[/red] each API process of the embedded runtime would"
            " run its own in-memory job queue. Set KOPDES_REDIS_URL, or serve with one process."
        )
        raise typer.Exit(2)
    if migrate:
        migrations.upgrade(settings)
    if workers > 1:
        # Each process builds its own app (engines and pools are per process).
        uvicorn.run(
            "api.app:app_factory",
            factory=True,
            workers=workers,
            host=host or settings.host,
            port=port or settings.port,
            log_config=None,
            proxy_headers=True,
        )
        return
    application = create_app(
        settings, embedded_worker=EmbeddedWorker(settings.embedded_worker_threads)
    )
    if settings.embedded:
        # The in-process broker lost its messages with the last process: resume those jobs.
        recover_interrupted_jobs(application.state.db)
    if settings.embedded and settings.import_bundled_on_start:
        queue_bundled_import_if_empty(application.state.db)
    uvicorn.run(
        application,
        host=host or settings.host,
        port=port or settings.port,
        log_config=None,
        proxy_headers=True,
    )


@app.command()
def worker(
    processes: Annotated[int, typer.Option(help="Worker processes")] = 2,
    threads: Annotated[int, typer.Option(help="Threads per process")] = 4,
) -> None:
    """Run worker processes on Redis (production). Refuses to start without KOPDES_REDIS_URL."""
    settings = get_settings()
    if not settings.redis_url:
        console.print(
            "[red]kopdes worker needs Redis:[/red] set KOPDES_REDIS_URL (e.g. redis://localhost:6379/0)."
            " Without it, `kopdes serve` runs the worker in-process (embedded runtime)."
        )
        raise typer.Exit(2)
    from dramatiq.cli import main as dramatiq_main
    from dramatiq.cli import make_argument_parser

    args = make_argument_parser().parse_args(
        ["worker.actors", "--processes", str(processes), "--threads", str(threads)]
    )
    sys.exit(dramatiq_main(args))


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Upgrade the schema to a revision (default: the newest)."""
    from shared import migrate

    settings = get_settings()
    migrate.upgrade(settings, revision)
    console.print(f"database at revision {migrate.current_revision(settings)}")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument()]) -> None:
    """Downgrade the schema to a revision ('base' empties the database)."""
    from shared import migrate

    settings = get_settings()
    migrate.downgrade(settings, revision)
    console.print(f"database at revision {migrate.current_revision(settings)}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database and the newest one."""
    from shared import migrate

    settings = get_settings()
    typer.echo(
        f"current: {migrate.current_revision(settings)}  head: {migrate.head_revision(settings)}"
    )


@coverage_app.command("recompute")
def coverage_recompute(
    wait: Annotated[
        bool,
        typer.Option(help="Compute here and now instead of queueing (always, without Redis)"),
    ] = True,
) -> None:
    """Recalculate coverage figures for the nation and every region."""
    db = get_database()
    if wait or db.settings.embedded:
        # Embedded, a queued job would wait on this process's in-memory queue, which dies
        # with it: compute here.
        job = recompute_now(db, requested_by="cli")
        typer.echo(f"{job.message} in {job.timings.get('total', 0):.2f}s (job {job.id})")
    else:
        job = request_coverage_recompute(db, actor=cli_actor())
        typer.echo(f"queued coverage job {job.id}")


@schema_app.command("export")
def schema_export(path: Annotated[Path, typer.Argument()] = Path("schema.graphql")) -> None:
    """Write the GraphQL schema (SDL) to a file."""
    from api.schema import schema

    path.write_text(schema.as_str() + "\n", encoding="utf-8")
    console.print(f"wrote {path}")
