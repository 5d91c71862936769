"""Coverage: every region's figures from one set of definitions, recalculated in one SQL statement.

What is counted, and where (see also docs in the README's coverage section):

* ``active_villages``, ``desa_count``, ``kelurahan_count``: villages of the current list
  (retired ones excluded); desa adat count as desa.
* ``covered_villages``: active villages with a cooperative, whatever its stage. The funnel
  narrows it by the cooperative's stage: ``covered_formed`` (founding meeting held or later),
  ``covered_legal_entity`` (SK AHU or later), ``covered_operational``. A village the registry
  files several cooperatives for is counted **once** in every village measure, at the stage
  of the furthest of its cooperatives (each cooperative still counts in ``cooperatives``).
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

Village figures are not stored: a village's figures are a lookup of the village and its
cooperative, read live (``village_figures``, ``VILLAGE_FIGURES``) at the current data
version from the same definitions. Storing them would cost more than everything else together.

How: one ``facts`` relation has one row per village with its 0/1 measures (``_VILLAGE_FACTS``,
shared by the recalculation and the village reads). The recalculation sums them per district,
adds one row per proposal and one of zeros per region without children (``leaf``), and on
PostgreSQL a single ``GROUP BY GROUPING SETS`` pass turns those ~16,000 rows into the figures
of the nation, provinces, regencies and districts; SQLite, which lacks grouping sets, unions one
GROUP BY per level over the materialised leaf rows. The old figures are replaced and a snapshot
of every level is appended, in the caller's transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from shared.models import (
    COVERAGE_COLUMNS,
    CoverageFigure,
    DataState,
    OutletType,
    RegionLevel,
    level_of_code,
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
         ELSE NULL END AS d"""

_VALUE_COLUMNS = (*MEASURES, *OUTLET_MEASURES)
_PROPOSAL_MEASURES = tuple(m for m in MEASURES if m.startswith("proposals_"))
_VILLAGE_MEASURES = tuple(m for m in _VALUE_COLUMNS if m not in _PROPOSAL_MEASURES)
_LEAF_COLUMNS = ("p", "rg", "d", *_VALUE_COLUMNS)

# The one definition of what a village contributes (``v``: the village, ``c``: its
# cooperative if any, ``m``: the cooperative's home village when it is a merger). A
# cooperative is counted once, at its home village: the only one it has, or a merger's lowest
# village code.
# A village with several cooperatives (``s``: its claims) has one row per cooperative; its
# village measures are counted on the row of its lowest cooperative id only, at the stage of
# its furthest cooperative.
_ONCE = "(s.first_id IS NULL OR cv.cooperative_id = s.first_id)"
_ACTIVE = f"v.retired_edition_id IS NULL AND {_ONCE}"
_RANK = "COALESCE(s.best_rank, c.stage_rank)"
_HOME = "c.id IS NOT NULL AND (m.home_code IS NULL OR m.home_code = v.code)"
_VILLAGE_FACTS: dict[str, str] = {
    "active_villages": _ACTIVE,
    "desa_count": f"{_ACTIVE} AND v.kind = 'desa'",
    "kelurahan_count": f"{_ACTIVE} AND v.kind = 'kelurahan'",
    "covered_villages": f"{_ACTIVE} AND c.id IS NOT NULL",
    "covered_formed": f"{_ACTIVE} AND {_RANK} >= {FORMED_RANK}",
    "covered_legal_entity": f"{_ACTIVE} AND {_RANK} >= {LEGAL_ENTITY_RANK}",
    "covered_operational": f"{_ACTIVE} AND {_RANK} >= {OPERATIONAL_RANK}",
    "cooperatives": _HOME,
    "kdmp": f"{_HOME} AND c.kind = 'KDMP'",
    "kkmp": f"{_HOME} AND c.kind = 'KKMP'",
    "mergers": "m.home_code = v.code",
    "mockups": f"{_HOME} AND c.is_mockup",
    "retired_villages_with_cooperatives": (
        f"v.retired_edition_id IS NOT NULL AND c.id IS NOT NULL AND {_ONCE}"
    ),
}
assert set(_VILLAGE_FACTS) | set(OUTLET_MEASURES) == set(_VILLAGE_MEASURES)


def _facts_sql(*, only_codes: bool) -> str:
    """CTEs ending in ``facts``: one row per village with its 0/1 measures and outlet counts.

    ``only_codes``: just the villages whose codes are bound as ``:codes`` (reading village
    figures); otherwise every village (the recalculation). Only mergers need their home
    village looked up: the recalculation finds them in one pass over the links, a read among
    the cooperatives of the villages asked for.
    """
    if only_codes:
        wanted = """
    wanted AS (
        SELECT cv.cooperative_id FROM cooperative_villages cv
        JOIN regions r ON r.id = cv.village_id WHERE r.code IN :codes
    ),"""
        merged_ids = "SELECT cooperative_id FROM wanted"
        outlet_filter = "AND cooperative_id IN (SELECT cooperative_id FROM wanted)"
        village_filter = "AND v.code IN :codes"
        shared_ids = "SELECT id FROM regions WHERE code IN :codes"
    else:
        wanted = ""
        merged_ids = (
            "SELECT cooperative_id FROM cooperative_villages"
            " GROUP BY cooperative_id HAVING COUNT(*) > 1"
        )
        outlet_filter = village_filter = ""
        shared_ids = (
            "SELECT village_id FROM cooperative_villages GROUP BY village_id HAVING COUNT(*) > 1"
        )
    outlet_sums = ", ".join(
        f"SUM(CASE WHEN type = '{t.value}' THEN 1 ELSE 0 END) AS outlets_{t.value}"
        for t in OutletType
    )
    flags = ",\n            ".join(
        f"CASE WHEN {condition} THEN 1 ELSE 0 END AS {name}"
        for name, condition in _VILLAGE_FACTS.items()
    )
    outlets = ",\n            ".join(
        f"CASE WHEN {_HOME} THEN COALESCE(o.outlets_{t.value}, 0) ELSE 0 END AS outlets_{t.value}"
        for t in OutletType
    )
    return f"""{wanted}
    merged AS (
        -- Cooperatives covering two or more villages, with their home (lowest) village code.
        SELECT cv.cooperative_id, MIN(r.code) AS home_code
        FROM cooperative_villages cv JOIN regions r ON r.id = cv.village_id
        WHERE cv.cooperative_id IN ({merged_ids})
        GROUP BY cv.cooperative_id
        HAVING COUNT(*) > 1
    ),
    shared AS (
        -- Villages with two or more cooperatives: the row that counts them, their best stage.
        SELECT cv.village_id, MIN(cv.cooperative_id) AS first_id, MAX(c.stage_rank) AS best_rank
        FROM cooperative_villages cv JOIN cooperatives c ON c.id = cv.cooperative_id
        WHERE cv.village_id IN ({shared_ids})
        GROUP BY cv.village_id
        HAVING COUNT(*) > 1
    ),
    outlet_counts AS (
        SELECT cooperative_id, {outlet_sums}
        FROM outlets WHERE status <> 'closed' {outlet_filter}
        GROUP BY cooperative_id
    ),
    facts AS (
        SELECT v.id AS vid, v.code AS vc, v.province_code AS p, v.regency_code AS rg,
            v.district_code AS d,
            {flags},
            {outlets}
        FROM regions v
        LEFT JOIN cooperative_villages cv ON cv.village_id = v.id
        LEFT JOIN cooperatives c ON c.id = cv.cooperative_id
        LEFT JOIN merged m ON m.cooperative_id = cv.cooperative_id
        LEFT JOIN shared s ON s.village_id = v.id
        LEFT JOIN outlet_counts o ON o.cooperative_id = cv.cooperative_id
        WHERE v.level = 'village' {village_filter}
    )"""


def _leaf_sql(materialized: str) -> str:
    """CTE ``leaf``: the villages summed per district, plus one row per proposal and a row
    of zeros per region without children (so every region gets figures, even an empty one).
    """
    columns = ", ".join(_LEAF_COLUMNS)
    village_sums = ", ".join(
        # Integers, not SUM's bigint: the grouping sets then add integers, not numerics.
        "0" if m in _PROPOSAL_MEASURES else f"CAST(SUM({m}) AS INTEGER)"
        for m in _VALUE_COLUMNS
    )
    proposal_values = {
        "proposals_total": "1",
        **{
            f"proposals_{status}": f"CASE WHEN pr.status = '{status}' THEN 1 ELSE 0 END"
            for status in ("submitted", "approved", "rejected", "formed")
        },
    }
    proposal_row = ", ".join(proposal_values.get(m, "0") for m in _VALUE_COLUMNS)
    zeros = ", ".join("0" for _ in _VALUE_COLUMNS)
    return f"""
    leaf ({columns}) AS {materialized}(
        SELECT p, rg, d, {village_sums} FROM facts GROUP BY p, rg, d
        UNION ALL
        SELECT {_KEYS}, {proposal_row}
        FROM proposals pr JOIN regions r ON r.id = pr.region_id
        UNION ALL
        -- Regions without children: every other region has a leaf row below it.
        SELECT {_KEYS}, {zeros} FROM regions r
        WHERE r.level <> 'village'
          AND NOT EXISTS (SELECT 1 FROM regions x WHERE x.parent_id = r.id)
    )"""


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
    """The SELECT list turning grouped leaf rows into figure rows."""
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


def _insert_sql(dialect: str) -> str:
    target = ", ".join(("scope_code", "level", *MEASURES, "coverage_percent", "outlets"))
    if dialect == "postgresql":
        # One pass over ~16,000 leaf rows produces the nation, provinces, regencies, districts.
        figures = f"""
            {_figures_select(dialect, None)}
            FROM leaf
            GROUP BY GROUPING SETS ((), (p), (rg), (d))
            HAVING GROUPING(p, rg, d) = 7 OR COALESCE(d, rg, p) IS NOT NULL"""
        leaf = _leaf_sql("")
    else:
        # SQLite lacks grouping sets: one GROUP BY per level over the materialised leaf rows.
        parts = [f"{_figures_select(dialect, 'nation')} FROM leaf"]
        for level, key in (("province", "p"), ("regency", "rg"), ("district", "d")):
            parts.append(
                f"{_figures_select(dialect, level)} FROM leaf WHERE {key} IS NOT NULL"
                f" GROUP BY {key}"
            )
        figures = "\nUNION ALL\n".join(parts)
        leaf = _leaf_sql("MATERIALIZED ")
    return f"""
        INSERT INTO coverage_figures ({target}, data_version, computed_at)
        WITH {_facts_sql(only_codes=False)},
        {leaf}
        {figures}"""


def _village_sql() -> str:
    """Figures of the villages bound as ``:codes``, from the same facts as the recalculation."""
    sums = ", ".join(f"SUM({m}) AS {m}" for m in _VILLAGE_MEASURES)
    columns = ", ".join(f"f.{m}" for m in _VILLAGE_MEASURES)
    proposals = ", ".join(
        f"SUM(CASE WHEN status = '{m.removeprefix('proposals_')}' THEN 1 ELSE 0 END) AS {m}"
        for m in _PROPOSAL_MEASURES
        if m != "proposals_total"
    )
    proposal_columns = ", ".join(f"COALESCE(pv.{m}, 0) AS {m}" for m in _PROPOSAL_MEASURES)
    return f"""
        WITH {_facts_sql(only_codes=True)},
        village_facts AS (
            -- One row per village, whatever the number of its cooperatives.
            SELECT vid, vc, {sums} FROM facts GROUP BY vid, vc
        )
        SELECT f.vc AS scope_code, {columns}, {proposal_columns},
            (SELECT data_version FROM data_state WHERE id = 1) AS data_version
        FROM village_facts f
        LEFT JOIN (
            SELECT region_id, COUNT(*) AS proposals_total, {proposals}
            FROM proposals
            WHERE region_id IN (SELECT id FROM regions WHERE code IN :codes)
            GROUP BY region_id
        ) pv ON pv.region_id = f.vid"""


def is_village_scope(code: str) -> bool:
    """A village code (``64.72.05.1003``): its figures are read live, not stored."""
    return level_of_code(code) is RegionLevel.village


VILLAGE_FIGURES = text(_village_sql()).bindparams(bindparam("codes", expanding=True))


def village_figure(row: Any, computed_at: datetime) -> CoverageFigure:
    """A village's figures (a row of ``VILLAGE_FIGURES``), as a transient figure object.

    Village figures are not stored: each is a lookup of one village and its cooperative, so
    they are read live, at the data version the same statement saw (never stale).
    """
    values = row._mapping
    counts = {m: int(values[m] or 0) for m in MEASURES}
    outlets = {
        t.value: int(values[f"outlets_{t.value}"])
        for t in OutletType
        if values[f"outlets_{t.value}"]
    }
    return CoverageFigure(
        scope_code=values["scope_code"],
        level="village",
        **counts,
        coverage_percent=100.0 if counts["covered_villages"] else 0.0,
        outlets=outlets,
        data_version=int(values["data_version"] or 0),
        computed_at=computed_at,
    )


def village_figures(session: Session, codes: list[str]) -> dict[str, CoverageFigure]:
    """Current figures of the villages with these codes (unknown codes are left out)."""
    if not codes:
        return {}
    now = utcnow()
    rows = session.execute(VILLAGE_FIGURES, {"codes": codes})
    return {figure.scope_code: figure for figure in (village_figure(r, now) for r in rows)}


_SNAPSHOT_COLUMNS = ", ".join(
    ("scope_code", "level", *MEASURES, "coverage_percent", "outlets", "data_version", "computed_at")
)
_SNAPSHOT_SQL = f"""
    INSERT INTO coverage_snapshots ({_SNAPSHOT_COLUMNS})
    SELECT {_SNAPSHOT_COLUMNS} FROM coverage_figures"""


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
        # The hash joins and the per-district aggregation of ~84,000 village rows: give them
        # memory for this transaction instead of letting them spill to disk.
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


__all__ = [
    "CoverageState",
    "RecomputeResult",
    "is_village_scope",
    "read_state",
    "recompute",
    "village_figure",
    "village_figures",
]
