"""Read-side SQL for proposals: the list filter, and counts per region by status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from shared.models import Proposal, ProposalStatus, Region, RegionLevel, level_of_code


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


def proposal_conditions(f: ProposalFilter) -> list[ColumnElement[bool]]:
    """Proposed by the filter's region or a region inside it, in its status."""
    conditions: list[ColumnElement[bool]] = []
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
