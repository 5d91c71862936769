"""Coverage recalculation: every figure of every region in one set-based SQL statement.

What is counted, and where (see also docs in the README's coverage section):

* ``active_villages``, ``desa_count``, ``kelurahan_count``: villages of the current list
  (retired ones excluded); desa adat count as desa.
* ``covered_villages``: active villages with a cooperative, whatever its stage. The funnel
  narrows it by the cooperative's stage: ``covered_formed`` (founding meeting held or later),
  ``covered_legal_entity`` (SK AHU or later), ``covered_operational``.
* ``coverage_percent`` = covered / active * 100, rounded to two places (0 with no villages).
* ``retired_villages_with_cooperatives``: retired villages that still have a cooperative; the
  cooperative keeps counting where its village lies.
* ``cooperatives``, ``kdmp``, ``kkmp``, ``mergers`` (covering two or more villages),
  ``mockups`` and ``outlets`` (a JSON object of counts by type, listing only types with at
  least one outlet; closed outlets excluded): each cooperative is counted
  **once**, in the regions of its *home village*, the lowest village code it covers. A merger
  spanning two districts or regencies therefore counts in one of them, and the counts add up
  exactly from village to nation; the other villages of a merger still count as covered.
* ``proposals_*``: proposals by status, in the region that proposed them and every region
  above it (a regency's proposal counts in the regency, its province and the nation).

How: one ``facts`` relation has one row per region (with the village measures and, for a
cooperative's home village, the cooperative's) plus one row per proposal, each carrying the
codes of the regions it lies in. On PostgreSQL a single ``GROUP BY GROUPING SETS`` pass turns it
into the figures of all levels at once; SQLite, which lacks grouping sets, unions one GROUP BY
per level over the materialised facts. The old figures are replaced and a snapshot of every
level above the village is appended, in the caller's transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from shared.db import Database
from shared.jobs import create_job, finish
from shared.models import (
    COVERAGE_COLUMNS,
    CoverageFigure,
    DataState,
    ImportJob,
    JobKind,
    JobStatus,
    OutletType,
    utcnow,
)
from shared.models.base import UTCDateTime

log = logging.getLogger(__name__)

# Recalculations serialise on this PostgreSQL advisory lock (SQLite's write lock does it there).
ADVISORY_LOCK = 0x6B6F7064  # "kopd"

# The counted measures, in the order of the figure tables' columns.
MEASURES = COVERAGE_COLUMNS
OUTLET_MEASURES = tuple(f"outlets_{t.value}" for t in OutletType)

# Stage ranks (STAGE_ORDER) at which a covered village enters each step of the funnel.
FORMED_RANK = 1  # founding meeting (rapat pendirian)
LEGAL_ENTITY_RANK = 3  # SK AHU
OPERATIONAL_RANK = 7

_KEYS = """
    r.province_code AS p,
    CASE r.level WHEN 'province' THEN NULL WHEN 'regency' THEN r.code
         ELSE r.regency_code END AS rg,
    CASE r.level WHEN 'district' THEN r.code WHEN 'village' THEN r.district_code
         ELSE NULL END AS d,
    CASE r.level WHEN 'village' THEN r.code ELSE NULL END AS vc"""


_FACT_COLUMNS = ("p", "rg", "d", "vc", *MEASURES, *OUTLET_MEASURES)
_VALUE_COLUMNS = (*MEASURES, *OUTLET_MEASURES)
_PROPOSAL_MEASURES = tuple(m for m in MEASURES if m.startswith("proposals_"))


def _with_sql() -> str:
    """The facts: one row per village (``vf``) and one per proposal (``pf``), with keys."""
    active = "b.retired_edition_id IS NULL"
    home = "b.home = 1"
    outlet_sums = ", ".join(
        f"SUM(CASE WHEN type = '{t.value}' THEN 1 ELSE 0 END) AS outlets_{t.value}"
        for t in OutletType
    )
    outlet_cols = ", ".join(f"COALESCE(o.outlets_{t.value}, 0)" for t in OutletType)
    outlet_zeros = ", ".join("0" for _ in OutletType)
    columns = ", ".join(_FACT_COLUMNS)
    return f"""
    outlet_counts AS (
        SELECT cooperative_id, {outlet_sums}
        FROM outlets WHERE status <> 'closed'
        GROUP BY cooperative_id
    ),
    base AS (
        -- Each village with its cooperative, if any. A cooperative's home village is the
        -- lowest code it covers (one window pass instead of a second join).
        SELECT r.province_code, r.regency_code, r.district_code, r.code, r.kind,
               r.retired_edition_id, c.id AS cid, c.kind AS ckind, c.stage_rank, c.is_mockup,
               CASE WHEN c.id IS NOT NULL
                         AND r.code = MIN(r.code) OVER (PARTITION BY cv.cooperative_id)
                    THEN 1 ELSE 0 END AS home,
               COUNT(*) OVER (PARTITION BY cv.cooperative_id) AS villages
        FROM regions r
        LEFT JOIN cooperative_villages cv ON cv.village_id = r.id
        LEFT JOIN cooperatives c ON c.id = cv.cooperative_id
        WHERE r.level = 'village'
    ),
    vf ({columns}) AS MATERIALIZED (
        SELECT b.province_code, b.regency_code, b.district_code, b.code,
            CASE WHEN {active} THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.kind = 'desa' THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.kind = 'kelurahan' THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.cid IS NOT NULL THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.stage_rank >= {FORMED_RANK} THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.stage_rank >= {LEGAL_ENTITY_RANK} THEN 1 ELSE 0 END,
            CASE WHEN {active} AND b.stage_rank >= {OPERATIONAL_RANK} THEN 1 ELSE 0 END,
            CASE WHEN {home} THEN 1 ELSE 0 END,
            CASE WHEN {home} AND b.ckind = 'KDMP' THEN 1 ELSE 0 END,
            CASE WHEN {home} AND b.ckind = 'KKMP' THEN 1 ELSE 0 END,
            CASE WHEN {home} AND b.villages >= 2 THEN 1 ELSE 0 END,
            CASE WHEN {home} AND b.is_mockup THEN 1 ELSE 0 END,
            CASE WHEN b.retired_edition_id IS NOT NULL AND b.cid IS NOT NULL THEN 1 ELSE 0 END,
            0, 0, 0, 0, 0,
            {outlet_cols}
        FROM base b
        LEFT JOIN outlet_counts o ON o.cooperative_id = b.cid AND b.home = 1
    ),
    pf ({columns}) AS (
        SELECT {_KEYS},
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            1,
            CASE WHEN pr.status = 'submitted' THEN 1 ELSE 0 END,
            CASE WHEN pr.status = 'approved' THEN 1 ELSE 0 END,
            CASE WHEN pr.status = 'rejected' THEN 1 ELSE 0 END,
            CASE WHEN pr.status = 'formed' THEN 1 ELSE 0 END,
            {outlet_zeros}
        FROM proposals pr JOIN regions r ON r.id = pr.region_id
    ),
    upper_facts ({columns}) AS {{upper_materialized}}(
        SELECT {columns} FROM vf
        UNION ALL
        SELECT {columns} FROM pf
        UNION ALL
        -- Every province, regency and district gets figures, even without villages.
        SELECT {_KEYS}, {", ".join("0" for _ in _VALUE_COLUMNS)}
        FROM regions r WHERE r.level <> 'village'
    )"""


_EMPTY_JSON = {True: "'{}'::jsonb", False: "'{}'"}


def _outlets_json(dialect: str, counts: list[str]) -> str:
    """Outlets by type as a JSON object, listing only types with at least one outlet."""
    pairs = ", ".join(
        f"'{t.value}', NULLIF(COALESCE({count}, 0), 0)"
        for t, count in zip(OutletType, counts, strict=True)
    )
    if dialect == "postgresql":
        return f"jsonb_strip_nulls(jsonb_build_object({pairs}))"
    # A JSON merge patch drops members whose value is null.
    return f"json_patch('{{}}', json_object({pairs}))"


def _figures_select(dialect: str, group: str | None) -> str:
    """The SELECT list turning grouped facts into figure rows of the levels above villages."""
    sums = ",\n".join(f"COALESCE(SUM({m}), 0) AS {m}" for m in MEASURES)
    outlets = _outlets_json(dialect, [f"SUM(outlets_{t.value})" for t in OutletType])
    if group is None:  # PostgreSQL, grouping sets
        level = (
            "CASE GROUPING(p, rg, d) WHEN 7 THEN 'nation' WHEN 3 THEN 'province'"
            " WHEN 5 THEN 'regency' ELSE 'district' END"
        )
        scope = "COALESCE(d, rg, p, '')"
    else:
        level = f"'{group}'"
        scope = {"nation": "''", "province": "p", "regency": "rg", "district": "d"}[group]
    return f"""
        SELECT {scope} AS scope_code, {level} AS level,
            {sums},
            CASE WHEN COALESCE(SUM(active_villages), 0) > 0
                 THEN ROUND(100.0 * SUM(covered_villages) / SUM(active_villages), 2)
                 ELSE 0 END AS coverage_percent,
            {outlets} AS outlets,
            :data_version AS data_version, :computed_at AS computed_at"""


def _village_select(dialect: str) -> str:
    """Village figures straight from their fact rows (a village is its own group)."""
    values = ", ".join(
        f"COALESCE(pv.{m}, 0)" if m in _PROPOSAL_MEASURES else f"vf.{m}" for m in MEASURES
    )
    total = " + ".join(f"vf.outlets_{t.value}" for t in OutletType)
    # Most villages have no outlets: a constant, not a JSON object built per row.
    outlets = (
        f"CASE WHEN {total} = 0 THEN {_EMPTY_JSON[dialect == 'postgresql']} ELSE "
        + _outlets_json(dialect, [f"vf.outlets_{t.value}" for t in OutletType])
        + " END"
    )
    proposal_sums = ", ".join(f"SUM({m}) AS {m}" for m in _PROPOSAL_MEASURES)
    return f"""
        SELECT vf.vc, 'village', {values},
            CASE WHEN vf.active_villages > 0 THEN vf.covered_villages * 100.0 ELSE 0 END,
            {outlets},
            :data_version, :computed_at
        FROM vf
        LEFT JOIN (SELECT vc, {proposal_sums} FROM pf WHERE vc IS NOT NULL GROUP BY vc) pv
            ON pv.vc = vf.vc"""


def _insert_sql(dialect: str) -> str:
    target = ", ".join(("scope_code", "level", *MEASURES, "coverage_percent", "outlets"))
    if dialect == "postgresql":
        # One hash-aggregation pass over the facts produces all four upper levels.
        upper = f"""
            {_figures_select(dialect, None)}
            FROM upper_facts
            GROUP BY GROUPING SETS ((), (p), (rg), (d))
            HAVING GROUPING(p, rg, d) = 7 OR COALESCE(d, rg, p) IS NOT NULL"""
        facts = _with_sql().replace("{upper_materialized}", "")
    else:
        # SQLite lacks grouping sets: one GROUP BY per level over the materialised facts.
        parts = [f"{_figures_select(dialect, 'nation')} FROM upper_facts"]
        for level, key in (("province", "p"), ("regency", "rg"), ("district", "d")):
            parts.append(
                f"{_figures_select(dialect, level)} FROM upper_facts WHERE {key} IS NOT NULL"
                f" GROUP BY {key}"
            )
        upper = "\nUNION ALL\n".join(parts)
        facts = _with_sql().replace("{upper_materialized}", "MATERIALIZED ")
    return f"""
        INSERT INTO coverage_figures ({target}, data_version, computed_at)
        WITH {facts}
        {upper}
        UNION ALL
        {_village_select(dialect)}"""


_SNAPSHOT_COLUMNS = ", ".join(
    ("scope_code", "level", *MEASURES, "coverage_percent", "outlets", "data_version", "computed_at")
)
_SNAPSHOT_SQL = f"""
    INSERT INTO coverage_snapshots ({_SNAPSHOT_COLUMNS})
    SELECT {_SNAPSHOT_COLUMNS} FROM coverage_figures WHERE level <> 'village'"""


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    data_version: int
    regions: int
    seconds: float
    computed_at: datetime | None = None
    superseded_through: int | None = None  # queued coverage jobs up to this id are covered


def recompute(session: Session) -> RecomputeResult:
    """Replace all coverage figures in the caller's transaction; append a snapshot."""
    started = time.perf_counter()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        # The aggregation holds ~8,000 groups of ~30 sums and the village window: give it
        # memory for this transaction instead of letting it spill to disk.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    # Read the version and the newest waiting coverage job in one statement: everything
    # committed before it is in the figures, so those jobs need not run again. Without a row
    # lock, a change committing meanwhile may be counted under the older version: the figures
    # are then merely marked stale, and that change's own request recomputes them.
    version, newest_queued = session.execute(
        text(
            "SELECT data_version, (SELECT MAX(id) FROM import_jobs"
            " WHERE kind = 'coverage' AND status = 'queued') FROM data_state WHERE id = 1"
        )
    ).one()
    now = utcnow()
    session.execute(delete(CoverageFigure))
    params = {"data_version": version, "computed_at": now}
    typed = [bindparam("computed_at", type_=UTCDateTime())]
    inserted = session.execute(text(_insert_sql(dialect)).bindparams(*typed), params)
    session.execute(text(_SNAPSHOT_SQL))
    session.execute(
        update(DataState)
        .where(DataState.id == 1)
        .values(
            coverage_version=version,
            coverage_computed_at=now,
        )
    )
    seconds = time.perf_counter() - started
    regions = int(getattr(inserted, "rowcount", 0) or 0)
    log.info(
        "coverage recomputed for %d scopes at data version %d in %.3fs", regions, version, seconds
    )
    return RecomputeResult(
        data_version=int(version),
        regions=regions,
        seconds=seconds,
        computed_at=now,
        superseded_through=newest_queued,
    )


@dataclass(frozen=True, slots=True)
class CoverageState:
    """How current the figures are: ``stale`` while the data is ahead of them."""

    data_version: int
    coverage_version: int
    computed_at: datetime | None
    changed_at: datetime | None
    pending: bool  # a coalesced recalculation is waiting to run

    @property
    def stale(self) -> bool:
        return self.coverage_version < self.data_version


def read_state(session: Session) -> CoverageState:
    state = session.execute(select(DataState).where(DataState.id == 1)).scalar_one()
    return CoverageState(
        data_version=state.data_version,
        coverage_version=state.coverage_version,
        computed_at=state.coverage_computed_at,
        changed_at=state.changed_at,
        pending=state.coverage_requested_version > state.coverage_version,
    )


def _supersede(session: Session, job_id: int, result: RecomputeResult) -> int:
    """Close coverage jobs that waited for data this run already counted."""
    if result.superseded_through is None:
        return 0
    done = session.execute(
        update(ImportJob)
        .where(
            ImportJob.kind == JobKind.coverage,
            ImportJob.status == JobStatus.queued,
            ImportJob.id <= result.superseded_through,
            ImportJob.id != job_id,
        )
        .values(
            status=JobStatus.succeeded,
            phase="done",
            finished_at=utcnow(),
            message=f"covered by job {job_id} at data version {result.data_version}",
        )
    )
    return int(getattr(done, "rowcount", 0) or 0)


def run_job(db: Database, job_id: int) -> None:
    """Do a claimed coverage job. A coalesced one first reopens the request window."""
    with db.sync_session() as session:
        job = session.get(ImportJob, job_id)
        params: dict[str, Any] = (job.params if job else None) or {}
    if params.get("coalesced"):
        from shared.coverage.schedule import release_request

        # From here on, a new change asks for a new run: this one may not see it.
        release_request(db)
    with db.transaction() as session:
        state = read_state(session)
        if params.get("coalesced") and not state.stale:
            finish(
                session,
                job_id,
                JobStatus.succeeded,
                f"figures already at data version {state.coverage_version}; nothing to do",
            )
            return
        result = recompute(session)
        superseded = _supersede(session, job_id, result)
        finish(
            session,
            job_id,
            JobStatus.succeeded,
            f"coverage of {result.regions} scopes at data version {result.data_version}",
            counts={"scopes": result.regions, "superseded_jobs": superseded},
            timings={"total": round(result.seconds, 3)},
        )


def recompute_now(db: Database, *, requested_by: str | None = None) -> ImportJob:
    """Recalculate in this process, recorded as a coverage job (``kopdes coverage recompute``)."""
    from shared.jobs import claim

    with db.transaction() as session:
        job = create_job(session, JobKind.coverage, requested_by=requested_by)
    if claim(db, job.id) is not None:
        run_job(db, job.id)
    with db.sync_session() as session:
        finished = session.get(ImportJob, job.id)
        assert finished is not None
        return finished


__all__ = [
    "CoverageState",
    "RecomputeResult",
    "read_state",
    "recompute",
    "recompute_now",
    "run_job",
]
