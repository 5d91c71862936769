"""Core commands: serve, worker, db, coverage, schema."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.app import app, cli_actor, coverage_app, db_app, schema_app
from cli.output import err_console
from shared.config import get_settings, reset_settings
from shared.coverage.flow import recompute_now
from shared.coverage.schedule import request_coverage_recompute
from shared.db import get_database
from shared.jobs.queue import recover_interrupted_jobs
from shared.logs import configure_logging
from shared.villages.bootstrap import queue_bundled_import_if_empty
from worker.embedded import EmbeddedWorker

console = err_console()


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default KOPDES_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default KOPDES_PORT)")] = None,
    migrate: Annotated[bool, typer.Option(help="Upgrade the database schema first")] = True,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="API processes (production runtime only)")
    ] = 1,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Proxies whose X-Forwarded-For names the client: addresses or networks,"
            " comma-separated, '*' for any (default KOPDES_FORWARDED_ALLOW_IPS: none)"
        ),
    ] = None,
) -> None:
    """Serve the API; in the embedded runtime also the worker, in threads."""
    import uvicorn

    from api.app import create_app
    from api.metrics import serve_metrics, use_multiprocess_dir
    from shared import migrate as migrations

    if forwarded_allow_ips is not None:
        # In the environment, so that every API process (--workers) reads the same.
        os.environ["KOPDES_FORWARDED_ALLOW_IPS"] = forwarded_allow_ips
        reset_settings()
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
    host = host or settings.host
    port = port or settings.port
    # The client's address behind a proxy is the app's business (api.app), not uvicorn's.
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None}
    if workers > 1:
        # Every API process writes its samples where a scrape of any of them sums them all.
        use_multiprocess_dir()
        if settings.metrics_port is not None:
            serve_metrics(get_database(), host, settings.metrics_port)
        # Each process builds its own app (engines and pools are per process).
        uvicorn.run(
            "api.app:app_factory", factory=True, workers=workers, proxy_headers=False, **options
        )
        return
    application = create_app(
        settings, embedded_worker=EmbeddedWorker(settings.embedded_worker_threads)
    )
    if settings.metrics_port is not None:
        serve_metrics(application.state.db, host, settings.metrics_port)
    if settings.embedded:
        # The in-process broker lost its messages with the last process: resume those jobs.
        recover_interrupted_jobs(application.state.db)
    if settings.embedded and settings.import_bundled_on_start:
        queue_bundled_import_if_empty(application.state.db)
    uvicorn.run(application, proxy_headers=False, **options)


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

    from api.metrics import use_multiprocess_dir

    # Kopdes's logging, not Dramatiq's: each worker process configures it when it boots
    # (worker.middleware), so the format, the level and the job's fields hold there too.
    configure_logging(settings)
    # Job durations and Dramatiq's own series, from every worker process, in one directory
    # that Dramatiq's exposition server (port 9191) reads; processes are spawned, so each
    # imports prometheus_client with it set.
    os.environ["dramatiq_prom_db"] = str(use_multiprocess_dir())  # noqa: SIM112 (its name)
    args = make_argument_parser().parse_args(
        [
            "worker.actors",
            "--processes",
            str(processes),
            "--threads",
            str(threads),
            "--skip-logging",
            "--use-spawn",
        ]
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
