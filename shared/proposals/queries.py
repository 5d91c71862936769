"""Read-side SQL for proposals: the list filter, the rows the API answers with, and counts
per region by status.

The list is partners' (counts are public, in coverage); a partner key's province scope keeps
the list to its province: outside it the key is an anonymous caller, who has no list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shared.models import Proposal, ProposalStatus, Region, RegionLevel, level_of_code
from shared.reads import Page, Read, keyset_page, read_rows, read_scalar


@dataclass(frozen=True, slots=True)
class ProposalFilter:
    region_code: str | None = None
    status: ProposalStatus | None = None


# The column a proposal stores the code of its region at each level above a village in.
_CODE_COLUMN = {
    RegionLevel.province: Proposal.province_code,
    RegionLevel.regency: Proposal.regency_code,
    RegionLevel.district: Proposal.district_code,
}


def outside_scope(f: ProposalFilter, scope: str | None) -> bool:
    """The filter asks for a region the scope does not include."""
    return scope is not None and f.region_code is not None and not f.region_code.startswith(scope)


def proposal_conditions(f: ProposalFilter, scope: str | None = None) -> list[ColumnElement[bool]]:
    """Proposed by the filter's region or a region inside it, in its status, in the scope's
    province (None: anywhere)."""
    conditions: list[ColumnElement[bool]] = []
    if scope is not None:
        conditions.append(Proposal.province_code == scope)
    code = f.region_code
    if code:
        level = level_of_code(code)
        column = _CODE_COLUMN.get(level) if level is not None else None
        if column is not None:
            conditions.append(column == code)
        else:
            conditions.append(Proposal.region_id.in_(select(Region.id).where(Region.code == code)))
    if f.status is not None:
        conditions.append(Proposal.status == f.status)
    return conditions


def counts_by_region(session: Session, level: RegionLevel) -> dict[str, dict[str, int]]:
    """Proposals per region of one level (regency, district or province), by status."""
    column = _CODE_COLUMN[level]
    found: dict[str, dict[str, int]] = {}
    for code, status, n in session.execute(
        select(column, Proposal.status, func.count())
        .where(column.is_not(None))
        .group_by(column, Proposal.status)
    ):
        found.setdefault(str(code), {})[ProposalStatus(status).value] = n
    return found


@dataclass(frozen=True, slots=True)
class ProposalRow:
    id: int
    proposed_name: str
    status: ProposalStatus
    submitted_on: date | None
    decided_on: date | None
    decided_by: str | None
    note: str | None
    external_id: str | None
    cooperative_id: int | None
    region_code: str


PROPOSAL_COLUMNS = tuple(
    getattr(Proposal, name) for name in ProposalRow.__dataclass_fields__ if name != "region_code"
)
_row: Callable[..., ProposalRow] = ProposalRow


def row_of(proposal: Proposal, region_code: str) -> ProposalRow:
    """The row of a proposal a write just made or changed."""
    return _row(*(getattr(proposal, c.key) for c in PROPOSAL_COLUMNS), region_code)


def _with_region() -> Any:
    return select(*PROPOSAL_COLUMNS, Region.code).join(Region, Region.id == Proposal.region_id)


def proposals_by_id(ids: Sequence[int]) -> Read[list[ProposalRow]]:
    return read_rows(_with_region().where(Proposal.id.in_(ids)), _row)


def proposal_page(
    f: ProposalFilter, *, after: int | None, size: int, scope: str | None
) -> Read[Page[ProposalRow]]:
    """One page of the proposals the filter keeps in the scope, by id."""
    statement = _with_region().where(*proposal_conditions(f, scope))
    return keyset_page(statement, [Proposal.id], None if after is None else [after], size, _row)


def proposal_count(f: ProposalFilter, scope: str | None) -> Read[int]:
    statement = select(func.count()).select_from(Proposal).where(*proposal_conditions(f, scope))
    return read_scalar(statement).then(int)
