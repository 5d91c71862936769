"""The export job: read one consistent snapshot, stream it into a file, store the file with
its manifest.

On PostgreSQL the rows are read in one REPEATABLE READ transaction, so the file, its row
count, its data version and the change-feed cursor in its manifest all describe the same
moment: a client that continues the feed from that cursor misses nothing and gets nothing
twice. (On SQLite a read transaction is a snapshot too.)
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import files
from shared.changes import encode_cursor
from shared.db import Database
from shared.exports import datasets
from shared.exports.datasets import COLUMNS
from shared.exports.formats import SUFFIX, write
from shared.exports.service import expire, params_of, request_of
from shared.jobs.runner import AuditNote, Flow, Outcome, Progress, Timer, Write, run_here
from shared.jobs.store import JobInput
from shared.models import DataState, Edition, ImportJob, JobKind, JobPhase, utcnow

# Progress is written in its own transaction: every this many rows.
PROGRESS_EVERY = 5000


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _state(session: Session) -> dict[str, Any]:
    data_version, coverage_version, change_seq = session.execute(
        select(DataState.data_version, DataState.coverage_version, DataState.change_seq)
    ).one()
    edition = session.execute(select(Edition.label).where(Edition.is_current)).scalar()
    return {
        "data_version": int(data_version),
        "coverage_version": int(coverage_version),
        "edition": edition,
        "changes_cursor": encode_cursor(int(change_seq)),
    }


def _run(db: Database, job: JobInput, progress: Progress) -> Write:
    timer = Timer()
    request = request_of(job.params)
    spec = request.spec
    folder = Path(tempfile.mkdtemp(prefix="kopdes-export-"))
    scope = spec.scope or "all"
    name = f"kopdes-{spec.dataset.value.lower()}-{scope}-{job.id}.{SUFFIX[request.format]}"
    path = folder / name
    try:
        with db.read_snapshot() as session:
            state = _state(session)
            total = datasets.count(session, spec)
            progress(phase=JobPhase.reading, rows_done=0, rows_total=total)
            rows = 0

            def on_row(n: int) -> None:
                nonlocal rows
                rows = n
                if n % PROGRESS_EVERY == 0:
                    progress(rows_done=n)

            write(request.format, spec.dataset, datasets.records(session, spec), path, on_row)
        timer.mark("reading")
        progress(phase=JobPhase.writing, rows_done=rows)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    params = params_of(request)
    manifest = {
        "dataset": params["dataset"],
        "format": params["format"],
        "filter": params["filter"],
        "proposal_status": params["proposal_status"],
        "scope": spec.scope,
        **state,
        "generated_at": utcnow().isoformat(),
        "row_count": rows,
        "bytes": path.stat().st_size,
        "sha256": _sha256(path),
        "file_name": name,
        "columns": [c.name for c in COLUMNS[spec.dataset]],
    }

    def store_file(session: Session) -> Outcome:
        try:
            stored = files.put(session, path, name, stored_by=job.actor.name)
            expire(session)  # the retention: earlier exports past it can no longer be fetched
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        timer.mark("storing")
        audit = {k: manifest[k] for k in ("dataset", "format", "scope", "row_count", "sha256")}
        return Outcome(
            True,
            f"{rows} {spec.dataset.value.lower()} rows in {request.format.value}",
            {
                "counts": {"rows": rows, "file": stored.id, "manifest": manifest},
                "timings": timer.done(),
                "rows_done": rows,
            },
            AuditNote("export.create", "import_job", job.id, audit),
        )

    return store_file


EXPORT = Flow(kind=JobKind.export, title="export", run=_run)


def export_now(db: Database, job_id: int) -> ImportJob:
    """Run a created export in this process (``kopdes export``)."""
    return run_here(db, job_id, EXPORT)


__all__ = ["EXPORT", "export_now"]
