"""Coverage recalculation, set-based: one INSERT ... SELECT per level, in one transaction.

The figures of every region are replaced together with the data version they reflect, and a
dated copy is appended to ``coverage_snapshots`` for trends.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from shared.models import (
    CoverageFigure,
    CoverageSnapshot,
    DataState,
    utcnow,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecomputeResult:
    data_version: int
    regions: int
    seconds: float


_LEVEL_GROUP = {
    # level name -> (column of regions that groups villages at that level)
    "nation": "''",
    "province": "v.province_code",
    "regency": "v.regency_code",
    "district": "v.district_code",
    "village": "v.code",
}


def _level_sql(level: str) -> str:
    group = _LEVEL_GROUP[level]
    return f"""
        SELECT {group} AS scope_code,
               '{level}' AS level,
               SUM(CASE WHEN v.retired_edition_id IS NULL THEN 1 ELSE 0 END) AS active_villages,
               SUM(CASE WHEN v.retired_edition_id IS NULL AND v.kind = 'desa' THEN 1 ELSE 0 END)
                   AS desa_count,
               SUM(CASE WHEN v.retired_edition_id IS NULL AND v.kind = 'kelurahan'
                        THEN 1 ELSE 0 END) AS kelurahan_count,
               SUM(CASE WHEN v.retired_edition_id IS NULL AND cv.village_id IS NOT NULL
                        THEN 1 ELSE 0 END) AS covered_villages
        FROM regions v
        LEFT JOIN cooperative_villages cv ON cv.village_id = v.id
        WHERE v.level = 'village'
        {"" if level == "nation" else f"GROUP BY {group}"}
    """


def recompute(session: Session) -> RecomputeResult:
    """Replace all coverage figures in the caller's transaction."""
    started = time.perf_counter()
    state = session.execute(
        select(DataState).where(DataState.id == 1).with_for_update()
    ).scalar_one()
    version = state.data_version
    now = utcnow()
    session.execute(delete(CoverageFigure))
    regions = 0
    for level in _LEVEL_GROUP:
        rows = session.execute(text(_level_sql(level))).mappings().all()
        figures = [
            {
                **row,
                "coverage_percent": (
                    round(100.0 * row["covered_villages"] / row["active_villages"], 2)
                    if row["active_villages"]
                    else 0.0
                ),
                "outlets": {},
                "data_version": version,
                "computed_at": now,
            }
            for row in rows
        ]
        if level == "nation" and not figures:
            figures = [
                {
                    "scope_code": "",
                    "level": "nation",
                    "active_villages": 0,
                    "desa_count": 0,
                    "kelurahan_count": 0,
                    "covered_villages": 0,
                    "coverage_percent": 0.0,
                    "outlets": {},
                    "data_version": version,
                    "computed_at": now,
                }
            ]
        if figures:
            session.execute(insert(CoverageFigure), figures)
            snapshot_rows = [dict(f) for f in figures if f["level"] != "village"]
            if snapshot_rows:
                session.execute(insert(CoverageSnapshot), snapshot_rows)
        regions += len(figures)
    session.execute(
        update(DataState)
        .where(DataState.id == 1)
        .values(coverage_version=version, coverage_computed_at=now)
    )
    seconds = time.perf_counter() - started
    log.info(
        "coverage recomputed for %d scopes at data version %d in %.2fs", regions, version, seconds
    )
    return RecomputeResult(data_version=version, regions=regions, seconds=seconds)
