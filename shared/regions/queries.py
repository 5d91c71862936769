"""Read-side SQL for regions: by code, by parent (pages of children and their counts), by
level and name. Rows are :class:`RegionRow`, not ORM instances (see ``shared.reads``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select

from shared.models import Region, RegionKind, RegionLevel
from shared.reads import Page, Read, keyset_page, read_rows, read_scalar


@dataclass(frozen=True, slots=True)
class RegionRow:
    id: int
    code: str
    level: RegionLevel
    name: str
    kind: RegionKind | None
    customary: bool
    retired_edition_id: int | None

    @property
    def retired(self) -> bool:
        return self.retired_edition_id is not None


# The row's constructor, for positional columns (a dataclass's own signature is too exact).
region_row: Callable[..., RegionRow] = RegionRow

REGION_COLUMNS = (
    Region.id,
    Region.code,
    Region.level,
    Region.name,
    Region.kind,
    Region.customary,
    Region.retired_edition_id,
)


def region_code_clause(code: str) -> ColumnElement[bool]:
    """Regions inside the region with this code, at any level (itself among them)."""
    match len(code):
        case 2:
            return Region.province_code == code
        case 5:
            return Region.regency_code == code
        case 8:
            return Region.district_code == code
        case _:
            return Region.code == code


def like_pattern(text: str) -> str:
    """A LIKE pattern finding ``text`` anywhere, case-folded, its wildcards escaped (``\\``)."""
    escaped = text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def regions_by_code(codes: Sequence[str]) -> Read[list[RegionRow]]:
    return read_rows(select(*REGION_COLUMNS).where(Region.code.in_(codes)), RegionRow)


def provinces() -> Read[list[RegionRow]]:
    """Every province of the current edition, by code."""
    return read_rows(
        select(*REGION_COLUMNS)
        .where(Region.level == RegionLevel.province, Region.retired_edition_id.is_(None))
        .order_by(Region.code),
        RegionRow,
    )


def region_page(
    conditions: Sequence[ColumnElement[bool]], after: str | None, size: int
) -> Read[Page[RegionRow]]:
    """Regions meeting the conditions, by code."""
    statement = select(*REGION_COLUMNS).where(*conditions)
    key = None if after is None else [after]
    return keyset_page(statement, [Region.code], key, size, RegionRow)


def region_count(conditions: Sequence[ColumnElement[bool]]) -> Read[int]:
    return read_scalar(select(func.count()).select_from(Region).where(*conditions))


def children_pages(
    parent_ids: Sequence[int], first: int, after: str | None, include_retired: bool
) -> Read[dict[int, list[RegionRow]]]:
    """The first ``first + 1`` children after the code ``after`` of each parent, by code, in
    one windowed statement whatever the number of parents."""
    rank = func.row_number().over(partition_by=Region.parent_id, order_by=Region.code)
    inner = select(Region.id, rank.label("rank")).where(Region.parent_id.in_(parent_ids))
    if after is not None:
        inner = inner.where(Region.code > after)
    if not include_retired:
        inner = inner.where(Region.retired_edition_id.is_(None))
    ranked = inner.subquery()
    statement = (
        select(Region.parent_id, *REGION_COLUMNS)
        .join(ranked, ranked.c.id == Region.id)
        .where(ranked.c.rank <= first + 1)
        .order_by(Region.parent_id, Region.code)
    )

    def answer(rows: Sequence[Row[Any]]) -> dict[int, list[RegionRow]]:
        by_parent: dict[int, list[RegionRow]] = defaultdict(list)
        for row in rows:
            by_parent[row[0]].append(region_row(*row[1:]))
        return by_parent

    return Read(statement, answer)


def children_counts(parent_ids: Sequence[int], include_retired: bool) -> Read[dict[int, int]]:
    statement = (
        select(Region.parent_id, func.count())
        .where(Region.parent_id.in_(parent_ids))
        .group_by(Region.parent_id)
    )
    if not include_retired:
        statement = statement.where(Region.retired_edition_id.is_(None))
    return Read(statement, _counts)


def _counts(rows: Sequence[Any]) -> dict[int, int]:
    return {int(key): int(n) for key, n in rows}
