"""Importing an edition of the official list: read, validate, compare, swap in one transaction.

The phases of a job (each recorded on its ``import_jobs`` row as it goes):

1. **reading / validating**: stream the rows, check them; any error ends the job with every
   problem counted and the first ``max_reported_errors`` kept. Nothing is written.
2. **comparing**: per level, what is added, renamed, retired, reinstated or unchanged against
   the regions in the database (retired ones included, so a code that comes back is reinstated).
3. **writing**: one transaction creates the edition, writes every change set-based, moves
   cooperatives and proposals of re-coded villages (mapping file), records per-region changes,
   the audit entry and the job's outcome. Readers see the old list or the new one, never a mix.

One village-list import runs at a time, across processes and machines: a job takes the "lock"
by moving to its reading phase in a serialised transaction (PostgreSQL advisory transaction
lock; SQLite's write lock) only when no other village job is active with a fresh heartbeat.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import logging
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Constraint,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import AddConstraint, DropConstraint

from shared import audit, bulk, jobs
from shared.audit import SYSTEM, Actor
from shared.config import get_settings
from shared.coverage.schedule import note_change
from shared.db import Database
from shared.jobs import (
    JobFailed,
    claim,
    create_job,
    enqueue_job,
    fail,
    finish,
    progress,
)
from shared.models import (
    Cooperative,
    CooperativeVillage,
    Edition,
    ImportJob,
    JobKind,
    JobPhase,
    JobStatus,
    Proposal,
    ProposalVillage,
    Region,
    RegionLevel,
    utcnow,
)
from shared.villages import problems as p
from shared.villages.problems import Report
from shared.villages.readers import read_sources
from shared.villages.validation import CODE_SHAPE, ParsedRegion, validate
from shared.villages.validation import Edition as ParsedEdition

log = logging.getLogger(__name__)

ACTOR_NAME = "import_villages"
LEVELS = tuple(RegionLevel)
CHANGE_KINDS = ("added", "renamed", "retired", "reinstated", "unchanged")
ACTIVE_PHASES = (JobPhase.reading, JobPhase.validating, JobPhase.comparing, JobPhase.writing)
# Any fixed 64-bit number, the same in every process: the advisory lock of village imports.
_PG_LOCK_KEY = 0x6B6F70646573_01

# Test seams: callables run at named points of a job ("validated": after validation, outside
# any transaction; "writing": inside the write transaction, after the regions were written).
# Tests use them to hold a job mid-way or to make the write phase fail.
Hook = Callable[[int, Session | None], None]
HOOKS: dict[str, list[Hook]] = {"validated": [], "writing": []}


@dataclass(frozen=True, slots=True)
class EditionInfo:
    """Which edition a file is: a label (unique), the decree and the date it was adopted."""

    label: str
    decree: str | None = None
    published_on: date | None = None

    def as_params(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "decree": self.decree,
            "published_on": self.published_on.isoformat() if self.published_on else None,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> EditionInfo:
        published = params.get("published_on")
        return cls(
            label=params["label"],
            decree=params.get("decree"),
            published_on=date.fromisoformat(published) if published else None,
        )


class ImportRefused(Exception):
    """The import cannot start (bad arguments): nothing was queued."""


# --- entry points -------------------------------------------------------------------------


def import_now(
    db: Database,
    sources: list[Path],
    *,
    edition: EditionInfo,
    mapping: Path | None = None,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
    full_compare: bool = False,
) -> ImportJob:
    """Run a whole import in this process and return its finished job.

    For tests, demo loaders and the CLI's ``--wait`` without a separate worker. The files are
    read where they are (no copy). A failure of the input ends the job ``failed``; an
    unexpected exception marks it failed and is re-raised.
    """
    with db.transaction() as session:
        job = _create(
            session, sources, edition, mapping, dry_run, actor, bundled=False,
            full_compare=full_compare,
        )  # fmt: skip
    return run_now(db, job.id)


def run_now(db: Database, job_id: int) -> ImportJob:
    """Claim a queued village job and run it here; return the job as it ended."""
    claimed = claim(db, job_id)
    if claimed is not None:
        try:
            run_job(db, job_id)
        except JobFailed as exc:
            _fail(db, job_id, str(exc))
        except Exception as exc:
            _fail(db, job_id, f"{type(exc).__name__}: {exc}")
            raise
    return load_job(db, job_id)


def start_village_import(
    db: Database,
    sources: Sequence[Path],
    *,
    edition: EditionInfo,
    mapping: Path | None = None,
    dry_run: bool = False,
    actor: Actor = SYSTEM,
    copy_inputs: bool = True,
    enqueue: bool = True,
) -> ImportJob:
    """Create a village-list job and (after commit) queue it for the worker.

    The inputs are copied into ``settings.upload_dir`` first, so a worker on another machine
    sharing that directory can read them; the job records where they are.
    """
    paths = [Path(s) for s in sources]
    for path in [*paths, *([mapping] if mapping else [])]:
        if not path.exists():
            raise ImportRefused(f"{path} does not exist")
    if copy_inputs:
        paths, mapping = _copy_to_uploads(paths, mapping)
    with db.transaction() as session:
        job = _create(session, paths, edition, mapping, dry_run, actor, bundled=False)
    if enqueue:
        enqueue_job(ACTOR_NAME, job.id)
    return job


def create_bundled_job(
    db: Database,
    *,
    edition: EditionInfo,
    actor: Actor = SYSTEM,
    dry_run: bool = False,
    full_compare: bool = False,
) -> ImportJob:
    """A job for the list shipped in the package (found at run time on the worker's side)."""
    with db.transaction() as session:
        return _create(
            session, [], edition, None, dry_run, actor, bundled=True, full_compare=full_compare
        )


def _create(
    session: Session,
    sources: Sequence[Path],
    edition: EditionInfo,
    mapping: Path | None,
    dry_run: bool,
    actor: Actor,
    *,
    bundled: bool,
    full_compare: bool = False,
) -> ImportJob:
    label = edition.label.strip()
    if not label:
        raise ImportRefused("an import needs an edition label (e.g. --edition 2025)")
    if not bundled and not sources:
        raise ImportRefused("no input file given")
    names = ", ".join(s.name for s in sources) or "bundled edition"
    source_path = (
        str(sources[0].parent) if len(sources) > 1 else (str(sources[0]) if sources else None)
    )
    return create_job(
        session,
        JobKind.villages,
        source_path=source_path,
        source_name=names[:300],
        params={
            "edition": EditionInfo(label, edition.decree, edition.published_on).as_params(),
            "sources": [str(s) for s in sources],
            "mapping": str(mapping) if mapping else None,
            "bundled": bundled,
            "api_key_id": actor.api_key_id,
            # Read and compare even when the file is the current edition's (benchmarks).
            "full_compare": full_compare,
        },
        dry_run=dry_run,
        actor=actor,
    )


def _copy_to_uploads(paths: list[Path], mapping: Path | None) -> tuple[list[Path], Path | None]:
    target = Path(get_settings().upload_dir).resolve() / f"villages-{uuid.uuid4().hex}"
    target.mkdir(parents=True, exist_ok=False)
    copied: list[Path] = []
    for i, path in enumerate(paths):
        # A numbered folder per input keeps the file names (they tell the level and format).
        slot = target / str(i)
        slot.mkdir()
        if path.is_dir():
            shutil.copytree(path, slot / path.name)
        else:
            shutil.copy2(path, slot / path.name)
        copied.append(slot / path.name)
    copied_mapping = None
    if mapping is not None:
        (target / "mapping").mkdir()
        copied_mapping = target / "mapping" / mapping.name
        shutil.copy2(mapping, copied_mapping)
    return copied, copied_mapping


def load_job(db: Database, job_id: int) -> ImportJob:
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None, f"job {job_id} vanished"
        return job


# --- the job ------------------------------------------------------------------------------


@dataclass(slots=True)
class Diff:
    """What an edition changes, per level, and the rows to write."""

    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {lvl.value: dict.fromkeys(CHANGE_KINDS, 0) for lvl in LEVELS}
    )
    added: list[ParsedRegion] = field(default_factory=list)
    renamed: list[tuple[int, str, str]] = field(default_factory=list)  # id, old, new
    retired: list[tuple[int, str]] = field(default_factory=list)  # id, name
    reinstated: list[tuple[int, str, str]] = field(default_factory=list)  # id, old, new

    code_of: dict[int, str] = field(default_factory=dict)  # ids of changed regions

    def sample(self, limit: int) -> list[dict[str, str | None]]:
        """The first ``limit`` changes of each kind (what a dry run shows instead of writing).

        Per kind, so that an edition retiring a whole province still shows its renames."""
        entries: list[dict[str, str | None]] = [
            {"change": "added", "code": region.code, "old_name": None, "new_name": region.name}
            for region in self.added[:limit]
        ]
        for kind, rows in (("renamed", self.renamed), ("reinstated", self.reinstated)):
            entries += [
                {"change": kind, "code": self.code_of[i], "old_name": old, "new_name": new}
                for i, old, new in rows[:limit]
            ]
        entries += [
            {"change": "retired", "code": self.code_of[i], "old_name": name, "new_name": None}
            for i, name in self.retired[:limit]
        ]
        return entries

    @property
    def changes(self) -> int:
        return len(self.added) + len(self.renamed) + len(self.retired) + len(self.reinstated)

    def summary(self) -> dict[str, dict[str, int]]:
        return {level: dict(counts) for level, counts in self.counts.items()}


class _Current(NamedTuple):
    id: int
    name: str
    level: RegionLevel
    retired: bool


_LEVEL_OF = {level.value: level for level in RegionLevel}


@dataclass(slots=True)
class _Timer:
    started: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=time.perf_counter)

    def mark(self, phase: str) -> None:
        now = time.perf_counter()
        self.marks[phase] = round(now - self._last, 3)
        self._last = now

    def done(self) -> dict[str, float]:
        return {**self.marks, "total": round(time.perf_counter() - self.started, 3)}


def run_job(db: Database, job_id: int) -> None:
    """Run a claimed village job to its end (the actor's and ``import_now``'s work).

    Bad input ends the job ``failed`` with its problems; ``JobFailed`` is raised for a refusal
    (another import running, an edition label taken); other exceptions roll the write back.
    """
    timer = _Timer()
    job = load_job(db, job_id)
    params = job.params
    edition_info = EditionInfo.from_params(params["edition"])
    actor = Actor(
        name=job.requested_by or "system",
        api_key_id=params.get("api_key_id"),
        request_id=job.request_id,
    )
    _take_import_lock(db, job_id)
    sources = _resolve_sources(params)
    report = Report(limit=get_settings().max_reported_errors)
    sha = _sha256_of(sources)
    progress(db, job_id, phase=JobPhase.reading, source_sha256=sha)

    def on_row(count: int) -> None:
        progress(db, job_id, phase=JobPhase.validating, rows_done=count)

    mapping_path = Path(params["mapping"]) if params.get("mapping") else None
    if mapping_path is None and not params.get("full_compare"):
        same = _same_as_current(db, edition_info, sha)
        if same is not None:
            # These exact bytes made the current edition, and only village imports change
            # regions: reading them again can only find what the database already holds.
            timer.mark("reading")
            with db.transaction() as session:
                edition = session.execute(
                    select(Edition).where(Edition.label == edition_info.label)
                ).scalar_one()
                _finish(
                    session, job_id, actor, edition_info, report, same, _unchanged(same), [],
                    timer, edition_id=edition.id, dry_run=job.dry_run, sha=sha,
                    unchanged_edition=edition,
                )  # fmt: skip
            return

    with _collector_paused():
        parsed = validate(read_sources(sources, report), report, on_row=on_row)
    pairs = read_mapping(mapping_path, report) if mapping_path else []
    timer.mark("reading")
    if report.failed():
        _finish_rejected(db, job_id, report, parsed, timer, actor, edition_info)
        return
    for hook in HOOKS["validated"]:
        hook(job_id, None)

    progress(db, job_id, phase=JobPhase.comparing, rows_total=parsed.rows_read)
    with db.sync_session() as session:
        current = _load_current(session)
        existing = session.execute(
            select(Edition).where(Edition.label == edition_info.label)
        ).scalar_one_or_none()
        moves = _resolve_mapping(session, pairs, parsed, current, report, mapping_path)
    diff = compare(parsed, current)
    timer.mark("comparing")
    if report.failed():
        _finish_rejected(db, job_id, report, parsed, timer, actor, edition_info)
        return
    if job.dry_run:
        with db.transaction() as session:
            _finish(
                session, job_id, actor, edition_info, report, parsed, diff, moves, timer,
                edition_id=existing.id if existing else None, dry_run=True, sha=sha,
            )  # fmt: skip
        return

    nothing_new = diff.changes == 0 and not moves
    if existing is not None and not (nothing_new and existing.is_current):
        raise JobFailed(
            f"edition {edition_info.label!r} was already imported"
            + ("" if diff.changes == 0 else " with other content")
            + ": give this file a new edition label"
        )

    if existing is not None:
        # The same content as the current edition: nothing to write, and the job says so.
        with db.transaction() as session:
            _finish(
                session, job_id, actor, edition_info, report, parsed, diff, [], timer,
                edition_id=existing.id, dry_run=False, sha=sha, unchanged_edition=existing,
            )  # fmt: skip
        return

    progress(db, job_id, phase=JobPhase.writing, rows_done=0, rows_total=diff.changes)
    with db.transaction() as session:
        new_edition = _write(session, edition_info, sha, parsed, current, diff, moves)
        for hook in HOOKS["writing"]:
            hook(job_id, session)
        timer.mark("writing")
        _finish(
            session, job_id, actor, edition_info, report, parsed, diff, moves, timer,
            edition_id=new_edition.id, dry_run=False, sha=sha,
        )  # fmt: skip


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while ~92,000 long-lived row tuples are built.

    Each allocation burst would otherwise trigger collections that rescan every tuple kept so
    far (~20% of the reading phase); the rows hold no reference cycles, so nothing is missed,
    and the collector resumes (if it was on) as soon as the rows are read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _same_as_current(db: Database, info: EditionInfo, sha: str) -> ParsedEdition | None:
    """The current edition's region counts when it has this label and came from these bytes."""
    with db.sync_session() as session:
        current = session.execute(select(Edition).where(Edition.is_current)).scalar_one_or_none()
        if current is None or current.label != info.label or current.source_sha256 != sha:
            return None
        counts = dict(
            session.execute(
                select(Region.level, func.count())
                .where(Region.retired_edition_id.is_(None))
                .group_by(Region.level)
            ).all()
        )
    levels = {level: int(counts.get(level, 0)) for level in LEVELS}
    return ParsedEdition(regions={}, rows_read=sum(levels.values()), level_counts=levels)


def _unchanged(parsed: ParsedEdition) -> Diff:
    diff = Diff()
    for level in LEVELS:
        diff.counts[level.value]["unchanged"] = parsed.count(level)
    return diff


def _fail(db: Database, job_id: int, message: str) -> None:
    job = load_job(db, job_id)
    if job.status in (JobStatus.succeeded, JobStatus.failed):
        return
    fail(db, job_id, message)


def _take_import_lock(db: Database, job_id: int) -> None:
    """Become the one active village import, or refuse (JobFailed) naming the one running."""
    now = utcnow()
    with db.transaction() as session:
        if bulk.is_postgres(session):
            # Serialises this check-and-set across connections; SQLite's BEGIN IMMEDIATE
            # already does (one writer at a time).
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        holder = session.execute(
            select(ImportJob.id, ImportJob.phase)
            .where(
                ImportJob.kind == JobKind.villages,
                ImportJob.status == JobStatus.running,
                ImportJob.phase.in_(ACTIVE_PHASES),
                ImportJob.id != job_id,
                ImportJob.heartbeat_at >= now - jobs.stale_after(),
            )
            .limit(1)
        ).first()
        if holder is not None:
            raise JobFailed(
                f"another village-list import (job {holder.id}, {holder.phase.value}) is"
                " running; only one runs at a time: try again when it has finished"
            )
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(phase=JobPhase.reading, heartbeat_at=now)
        )


def _resolve_sources(params: dict[str, Any]) -> list[Path]:
    if params.get("bundled"):
        from shared.villages.bundled import BUNDLED_PATH

        return [BUNDLED_PATH]
    return [Path(s) for s in params["sources"]]


def _sha256_of(sources: list[Path]) -> str:
    """SHA-256 of the input: of the file, or of the names and digests of a folder's files."""
    digests = []
    for source in sources:
        if source.is_dir():
            inner = hashlib.sha256()
            for path in sorted(f for f in source.rglob("*") if f.is_file()):
                inner.update(path.relative_to(source).as_posix().encode() + b"\0")
                inner.update(_file_sha256(path).encode())
            digests.append(inner.hexdigest())
        elif source.is_file():
            digests.append(_file_sha256(source))
    if len(digests) == 1:
        return digests[0]
    return hashlib.sha256("".join(digests).encode()).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- comparing ----------------------------------------------------------------------------


def _load_current(session: Session) -> dict[str, _Current]:
    # The driver's cursor directly: SQLAlchemy's row objects cost ~3 µs each, 91,599 times.
    raw = session.connection().connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute("SELECT code, id, name, level, retired_edition_id FROM regions")
        rows = cursor.fetchall()
    finally:
        cursor.close()
    level_of = _LEVEL_OF
    return {
        code: _Current(id, name, level_of[level], retired is not None)
        for code, id, name, level, retired in rows
    }


def compare(parsed: ParsedEdition, current: dict[str, _Current]) -> Diff:
    """Per level: added, renamed, retired, reinstated, unchanged."""
    diff = Diff()
    counts = diff.counts
    for code, region in parsed.regions.items():
        level = region.level.value
        before = current.get(code)
        if before is None:
            diff.added.append(region)
            counts[level]["added"] += 1
        elif before.retired:
            diff.code_of[before.id] = code
            diff.reinstated.append((before.id, before.name, region.name))
            counts[level]["reinstated"] += 1
        elif before.name != region.name:
            diff.code_of[before.id] = code
            diff.renamed.append((before.id, before.name, region.name))
            counts[level]["renamed"] += 1
        else:
            counts[level]["unchanged"] += 1
    for code, before in current.items():
        if not before.retired and code not in parsed.regions:
            diff.code_of[before.id] = code
            diff.retired.append((before.id, before.name))
            counts[before.level.value]["retired"] += 1
    return diff


# --- the mapping file (old code -> new code) -----------------------------------------------

OLD_HEADERS = {"old_code", "old", "kode_lama", "from"}
NEW_HEADERS = {"new_code", "new", "kode_baru", "to"}


def read_mapping(path: Path, report: Report) -> list[tuple[str, str, int]]:
    """Pairs (old village code, new village code, line) of a CSV mapping file."""
    shown = path.name
    try:
        raw = path.read_bytes()
        content = raw.decode("utf-8-sig")
    except OSError as exc:
        report.error(p.MISSING_FILE, f"the mapping file cannot be read: {exc}", file=shown)
        return []
    except UnicodeDecodeError as exc:
        report.error(p.BAD_ENCODING, f"the mapping file is not UTF-8: {exc.reason}", file=shown)
        return []
    lines = content.splitlines()
    if not any(line.strip() for line in lines):
        report.error(p.EMPTY_FILE, "the mapping file is empty", file=shown, line=1)
        return []
    delimiter = max((",", ";", "\t"), key=lambda d: lines[0].count(d))
    reader = csv.reader(io.StringIO(content), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    old_i = next((i for i, h in enumerate(header) if h in OLD_HEADERS), None)
    new_i = next((i for i, h in enumerate(header) if h in NEW_HEADERS), None)
    if old_i is None or new_i is None:
        report.error(
            p.MISSING_COLUMNS,
            "the mapping file needs the columns old_code and new_code",
            file=shown,
            line=1,
            field="header",
            value=lines[0],
        )
        return []
    pairs: list[tuple[str, str, int]] = []
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        old = values[old_i].strip() if old_i < len(values) else ""
        new = values[new_i].strip() if new_i < len(values) else ""
        bad = False
        for label, code in (("old_code", old), ("new_code", new)):
            if not CODE_SHAPE.fullmatch(code) or len(code) != 13:
                report.error(
                    p.BAD_MAPPING,
                    "a mapping names village codes like 64.72.05.1003",
                    file=shown,
                    line=line,
                    field=label,
                    value=code,
                )
                bad = True
        if not bad:
            pairs.append((old, new, line))
    return pairs


@dataclass(frozen=True, slots=True)
class Move:
    old_id: int
    old_code: str
    new_code: str


def _resolve_mapping(
    session: Session,
    pairs: list[tuple[str, str, int]],
    parsed: ParsedEdition,
    current: dict[str, _Current],
    report: Report,
    path: Path | None,
) -> list[Move]:
    """Which old villages move to their new codes: those a cooperative or a proposal names."""
    if not pairs:
        return []
    shown = path.name if path else None
    linked = {row[0] for row in session.execute(select(CooperativeVillage.village_id)).all()}
    proposed = {
        *session.execute(select(ProposalVillage.village_id)).scalars(),
        *session.execute(select(Proposal.region_id)).scalars(),
    }
    moves: list[Move] = []
    targets: dict[str, int] = {}
    for old, new, line in pairs:
        before = current.get(old)
        if before is None:
            report.error(
                p.BAD_MAPPING, f"{old} is not a known village", file=shown, line=line,
                field="old_code", value=old,
            )  # fmt: skip
            continue
        if new not in parsed.regions:
            report.error(
                p.BAD_MAPPING, f"{new} is not in the imported file", file=shown, line=line,
                field="new_code", value=new,
            )  # fmt: skip
            continue
        if new in targets:
            report.error(
                p.BAD_MAPPING, f"{new} is already the target of line {targets[new]}",
                file=shown, line=line, field="new_code", value=new,
            )  # fmt: skip
            continue
        targets[new] = line
        target = current.get(new)
        taken = target is not None and target.id in linked and target.id != before.id
        if before.id in linked and taken:
            report.error(
                p.BAD_MAPPING,
                f"{new} already has a cooperative; {old}'s cannot move there",
                file=shown, line=line, field="new_code", value=new,
            )  # fmt: skip
            continue
        if before.id in linked or before.id in proposed:
            moves.append(Move(before.id, old, new))
    return moves


# --- writing ------------------------------------------------------------------------------

REGION_COLUMNS = (
    "id",
    "code",
    "level",
    "name",
    "kind",
    "customary",
    "parent_id",
    "province_code",
    "regency_code",
    "district_code",
    "first_edition_id",
    "retired_edition_id",
    "updated_at",
)
CHANGE_COLUMNS = ("edition_id", "region_id", "change", "old_name", "new_name")


def _write(
    session: Session,
    info: EditionInfo,
    sha: str,
    parsed: ParsedEdition,
    current: dict[str, _Current],
    diff: Diff,
    moves: list[Move],
) -> Edition:
    now = utcnow()
    session.execute(update(Edition).where(Edition.is_current).values(is_current=False))
    edition = Edition(
        label=info.label,
        decree=info.decree,
        published_on=info.published_on,
        source_sha256=sha,
        imported_at=now,
        is_current=True,
    )
    session.add(edition)
    session.flush()
    eid = edition.id

    stamp = bulk.timestamp(session, now)
    ids = {code: c.id for code, c in current.items()}
    new_ids = bulk.allocate_ids(session, "regions", len(diff.added), exclusive=True)
    for region, new_id in zip(diff.added, new_ids, strict=True):
        ids[region.code] = new_id

    def region_rows() -> Iterator[tuple[Any, ...]]:
        for region in diff.added:  # parents come first (validation ordered them)
            code = region.code
            parent = region.parent_code
            yield (
                ids[code],
                code,
                region.level.value,
                region.name,
                region.kind.value if region.kind else None,
                region.customary,
                ids[parent] if parent else None,
                code[:2],
                code[:5] if len(code) >= 5 else None,
                code[:8] if len(code) >= 8 else None,
                eid,
                None,
                stamp,
            )

    def region_lines() -> Iterator[str]:
        # PostgreSQL COPY text lines built in one f-string each: 2-3x cheaper than adapting
        # 14 values per row. Names hold no control characters (validation refused them).
        null = "\\N"
        stamp_text = now.isoformat()
        for region in diff.added:
            code = region.code
            parent = region.parent_code
            kind = region.kind.value if region.kind else null
            yield (
                f"{ids[code]}\t{code}\t{region.level.value}\t{bulk.copy_escape(region.name)}"
                f"\t{kind}\t{'t' if region.customary else 'f'}"
                f"\t{ids[parent] if parent else null}\t{code[:2]}"
                f"\t{code[:5] if len(code) >= 5 else null}\t{code[:8] if len(code) >= 8 else null}"
                f"\t{eid}\t{null}\t{stamp_text}\n"
            )

    def insert_regions() -> None:
        if bulk.is_postgres(session):
            bulk.copy_text(session, "regions", REGION_COLUMNS, region_lines())
        else:
            # Level, kind and codes come from validated codes: the CHECKs hold by construction.
            bulk.bulk_insert(
                session, "regions", REGION_COLUMNS, region_rows(), checked_by_caller=True
            )

    if current:
        insert_regions()
    else:
        # First load into an empty list: building the secondary indexes once, after the rows,
        # is several times cheaper than maintaining them row by row (DDL is transactional on
        # both databases, so a failure still leaves the table as it was).
        # On PostgreSQL the same goes for the foreign keys: one anti-join when the constraint
        # is added back instead of four trigger lookups per row. (The table is empty, so the
        # exclusive lock this takes keeps no reader from anything.)
        table = cast(Table, Region.__table__)
        indexes = [ix for ix in table.indexes if not ix.unique]
        constraints: list[Constraint] = []
        if bulk.is_postgres(session):
            # The unique code constraint too (no foreign key refers to it): built in one sort.
            constraints = [
                *(c for c in table.constraints if isinstance(c, UniqueConstraint)),
                *table.foreign_key_constraints,
            ]
        connection = session.connection()
        for constraint in constraints:
            connection.execute(DropConstraint(constraint))
        for index in indexes:
            index.drop(connection)
        insert_regions()
        for index in indexes:
            index.create(connection)
        for constraint in constraints:
            connection.execute(AddConstraint(constraint))
    bulk.bulk_update(
        session,
        "UPDATE regions SET name = :name, updated_at = :now WHERE id = :id",
        [{"id": i, "name": new, "now": now} for i, _old, new in diff.renamed],
    )
    bulk.bulk_update(
        session,
        "UPDATE regions SET name = :name, retired_edition_id = NULL, updated_at = :now"
        " WHERE id = :id",
        [{"id": i, "name": new, "now": now} for i, _old, new in diff.reinstated],
    )
    bulk.bulk_update(
        session,
        "UPDATE regions SET retired_edition_id = :eid, updated_at = :now WHERE id = :id",
        [{"id": i, "eid": eid, "now": now} for i, _name in diff.retired],
    )
    _carry_over(session, [m for m in moves if ids[m.new_code] != m.old_id], ids)

    def change_rows() -> Iterator[tuple[Any, ...]]:
        # The first edition of an empty list adds every region: regions.first_edition_id
        # already says so, and 91,599 "added" rows would only repeat it.
        for region in diff.added if current else ():
            yield (eid, ids[region.code], "added", None, region.name)
        for i, old, new in diff.renamed:
            yield (eid, i, "renamed", old, new)
        for i, name in diff.retired:
            yield (eid, i, "retired", name, None)
        for i, old, new in diff.reinstated:
            yield (eid, i, "reinstated", old, new)
        for move in moves:
            # On the new village, naming the code it was known by.
            yield (eid, ids[move.new_code], "recoded", move.old_code, move.new_code)

    bulk.bulk_insert(session, "region_changes", CHANGE_COLUMNS, change_rows())
    return edition


def _carry_over(session: Session, moves: list[Move], ids: dict[str, int]) -> None:
    """Move what names a re-coded village to its new code: its cooperative, the proposals
    naming it, and proposals it made itself (with their region codes). One executemany per
    statement, whatever the number of villages re-coded."""
    if not moves:
        return
    pairs = [{"old": m.old_id, "new": ids[m.new_code]} for m in moves]
    links, named, proposals = (
        bulk.table_of(CooperativeVillage),
        bulk.table_of(ProposalVillage),
        bulk.table_of(Proposal),
    )
    connection = session.connection()
    connection.execute(
        links.update()
        .where(links.c.village_id == bindparam("old"))
        .values(village_id=bindparam("new")),
        pairs,
    )
    # A proposal already naming both keeps one link.
    connection.execute(
        named.delete().where(
            named.c.village_id == bindparam("old"),
            named.c.proposal_id.in_(
                select(named.c.proposal_id).where(named.c.village_id == bindparam("new"))
            ),
        ),
        pairs,
    )
    connection.execute(
        named.update()
        .where(named.c.village_id == bindparam("old"))
        .values(village_id=bindparam("new")),
        pairs,
    )
    connection.execute(
        proposals.update()
        .where(proposals.c.region_id == bindparam("old"))
        .values(
            region_id=bindparam("new"),
            province_code=bindparam("p"),
            regency_code=bindparam("rg"),
            district_code=bindparam("d"),
        ),
        [
            {**pair, "p": m.new_code[:2], "rg": m.new_code[:5], "d": m.new_code[:8]}
            for pair, m in zip(pairs, moves, strict=True)
        ],
    )


def _finish(
    session: Session,
    job_id: int,
    actor: Actor,
    info: EditionInfo,
    report: Report,
    parsed: ParsedEdition,
    diff: Diff,
    moves: list[Move],
    timer: _Timer,
    *,
    edition_id: int | None,
    dry_run: bool,
    sha: str,
    unchanged_edition: Edition | None = None,
) -> None:
    changed = diff.changes > 0 or bool(moves)
    if changed and not dry_run:
        for row in retired_villages_with_cooperatives(session, edition_id=edition_id):
            report.warning(
                p.RETIRED_WITH_COOPERATIVE,
                f"village {row.code} ({row.name}) is retired by this edition but has"
                f" cooperative {row.cooperative_id} ({row.cooperative_name}); it stays, flagged",
                field="code",
                value=row.code,
            )
        note_change(session)
    elif dry_run:
        # The same warnings the import would give, so the preview shows them before it runs.
        for code, name, coop_id, coop_name in _retiring_with_cooperatives(session, diff, moves):
            report.warning(
                p.RETIRED_WITH_COOPERATIVE,
                f"village {code} ({name}) would be retired by this edition but has"
                f" cooperative {coop_id} ({coop_name}); it would stay, flagged",
                field="code",
                value=code,
            )
    summary = diff.summary()
    totals = {kind: sum(level[kind] for level in summary.values()) for kind in CHANGE_KINDS}
    if dry_run:
        message = f"dry run of edition {info.label}: " + _describe(totals, len(moves))
    elif unchanged_edition is not None:
        message = (
            f"nothing changed: the file matches the current edition {unchanged_edition.label}"
            + (" (same SHA-256)" if unchanged_edition.source_sha256 == sha else "")
        )
    elif not changed:
        message = f"edition {info.label} recorded; no region changed"
    else:
        message = f"edition {info.label} imported: " + _describe(totals, len(moves))
    if report.warning_count:
        message += f"; {report.warning_count} warning(s)"
    timings = timer.done()
    counts = {
        "rows": parsed.rows_read,
        "regions": {lvl.value: parsed.count(lvl) for lvl in LEVELS},
        "changes": totals,
        "recoded": len(moves),
    }
    # The first changes of each kind, on the job: what a dry run would change (it writes
    # nothing to region_changes), and for an import what an operator reads first.
    counts["sample"] = diff.sample(get_settings().max_reported_errors)
    finish(
        session,
        job_id,
        JobStatus.succeeded,
        message,
        diff=summary,
        counts=counts,
        timings=timings,
        edition_id=edition_id,
        rows_done=parsed.rows_read,
        rows_total=parsed.rows_read,
        **report.job_fields(),
    )
    audit.record(
        session,
        actor,
        "villages.import.dry_run" if dry_run else "villages.import",
        target_type="edition",
        target_id=info.label,
        after={
            "job_id": job_id,
            "edition": info.as_params(),
            "sha256": sha,
            "changes": totals,
            "recoded": len(moves),
            "dry_run": dry_run,
        },
    )


def _describe(totals: dict[str, int], recoded: int) -> str:
    parts = [f"{totals[k]} {k}" for k in CHANGE_KINDS if k != "unchanged" and totals[k]]
    if recoded:
        parts.append(f"{recoded} village(s) re-coded with their cooperatives and proposals")
    if not parts:
        return f"no change ({totals['unchanged']} regions unchanged)"
    return ", ".join(parts) + f", {totals['unchanged']} unchanged"


def _finish_rejected(
    db: Database,
    job_id: int,
    report: Report,
    parsed: ParsedEdition,
    timer: _Timer,
    actor: Actor,
    info: EditionInfo,
) -> None:
    message = f"{report.error_count} error(s) in the input; nothing was written" + (
        f" (first {len(report.errors)} kept)" if report.error_count > len(report.errors) else ""
    )
    with db.transaction() as session:
        finish(
            session,
            job_id,
            JobStatus.failed,
            message,
            timings=timer.done(),
            counts={"rows": parsed.rows_read},
            rows_done=parsed.rows_read,
            **report.job_fields(),
        )
        audit.record(
            session,
            actor,
            "villages.import.rejected",
            target_type="edition",
            target_id=info.label,
            after={"job_id": job_id, "error_count": report.error_count},
        )


# --- queries ------------------------------------------------------------------------------


def retired_with_cooperative() -> ColumnElement[bool]:
    """A region that is a village retired by an edition and still linked to a cooperative."""
    return and_(
        Region.level == RegionLevel.village,
        Region.retired_edition_id.is_not(None),
        exists(
            select(CooperativeVillage.village_id).where(CooperativeVillage.village_id == Region.id)
        ),
    )


@dataclass(frozen=True, slots=True)
class RetiredVillageWithCooperative:
    code: str
    name: str
    retired_edition_id: int
    retired_edition_label: str
    cooperative_id: int
    cooperative_name: str


def _retiring_with_cooperatives(
    session: Session, diff: Diff, moves: list[Move]
) -> list[tuple[str, str, int, str]]:
    """Villages the diff retires that have a cooperative the mapping does not move away.

    Reads every village with a cooperative (at most one per village of the country) and
    keeps the retiring ones: one indexed join instead of an IN list of the retired ids."""
    retiring = {i for i, _name in diff.retired}
    if not retiring:
        return []
    moved = {move.old_id for move in moves}
    rows = session.execute(
        select(Region.id, Region.code, Region.name, Cooperative.id, Cooperative.name)
        .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .where(Region.level == RegionLevel.village, Region.retired_edition_id.is_(None))
        .order_by(Region.code)
    ).all()
    return [
        (code, name, coop_id, coop_name)
        for region_id, code, name, coop_id, coop_name in rows
        if region_id in retiring and region_id not in moved
    ]


def retired_villages_with_cooperatives(
    session: Session, *, edition_id: int | None = None, province_code: str | None = None
) -> list[RetiredVillageWithCooperative]:
    """Retired villages that still have a cooperative (they need a mapping or a decision)."""
    query = (
        select(
            Region.code,
            Region.name,
            Region.retired_edition_id,
            Edition.label,
            Cooperative.id,
            Cooperative.name,
        )
        .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
        .join(Cooperative, Cooperative.id == CooperativeVillage.cooperative_id)
        .join(Edition, Edition.id == Region.retired_edition_id)
        .where(Region.level == RegionLevel.village, Region.retired_edition_id.is_not(None))
        .order_by(Region.code)
    )
    if edition_id is not None:
        query = query.where(Region.retired_edition_id == edition_id)
    if province_code is not None:
        query = query.where(Region.province_code == province_code)
    return [
        RetiredVillageWithCooperative(
            code=code,
            name=name,
            retired_edition_id=int(retired or 0),
            retired_edition_label=label,
            cooperative_id=coop_id,
            cooperative_name=coop_name,
        )
        for code, name, retired, label, coop_id, coop_name in session.execute(query).all()
    ]


def job_report(job: ImportJob) -> dict[str, Any]:
    """The final report of a village job, as the CLI's ``--json`` prints it."""
    edition = (job.params or {}).get("edition") or {}
    diff = job.diff or {}
    return {
        "job_id": job.id,
        "status": job.status.value,
        "dry_run": job.dry_run,
        "message": job.message,
        "edition": edition,
        "sha256": job.source_sha256,
        "diff": {
            lvl.value: {k: int((diff.get(lvl.value) or {}).get(k, 0)) for k in CHANGE_KINDS}
            for lvl in LEVELS
        },
        "recoded": int((job.counts or {}).get("recoded", 0)),
        "error_count": job.error_count,
        "errors": [_problem(e) for e in job.errors or []],
        "warning_count": job.warning_count,
        "warnings": [_problem(w) for w in job.warnings or []],
        "timings": job.timings or {},
    }


def _problem(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "file": entry.get("file"),
        "line": entry.get("line"),
        "field": entry.get("field"),
        "code": entry.get("code"),
        "message": entry.get("message"),
        "value": entry.get("value"),
    }


def edition_as_dict(info: EditionInfo) -> dict[str, Any]:
    return asdict(info)


def parse_date(value: str | None) -> date | None:
    return datetime.strptime(value, "%Y-%m-%d").date() if value else None
