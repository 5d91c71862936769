"""Proposals one at a time, for data stewards: a region submits one, a steward decides it.

Every function takes the caller's Session and never commits (see ``shared.cooperatives``);
refusals raise :class:`~shared.errors.ServiceError` naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.audit import Actor, record
from shared.changes import Change, emit
from shared.cooperatives.service import clean_name, get_cooperative, villages_by_code
from shared.coverage.schedule import note_change
from shared.errors import Conflict, InvalidInput, NotFound
from shared.models import (
    REGION_CODE,
    ChangeType,
    Proposal,
    ProposalStatus,
    ProposalVillage,
    Region,
    ancestor_codes,
)

# Allowed decisions from each status; formed and rejected are final.
PROPOSAL_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.submitted: frozenset({ProposalStatus.approved, ProposalStatus.rejected}),
    ProposalStatus.approved: frozenset({ProposalStatus.formed, ProposalStatus.rejected}),
    ProposalStatus.rejected: frozenset(),
    ProposalStatus.formed: frozenset(),
}


def _region_by_code(session: Session, code: str, field: str) -> Region:
    if not REGION_CODE.fullmatch(code):
        raise InvalidInput(field, f"{code!r} is not a region code like 64, 64.72 or 64.72.05")
    region = session.execute(select(Region).where(Region.code == code)).scalar_one_or_none()
    if region is None:
        raise NotFound(field, f"no region has code {code}")
    return region


def submit_proposal(
    session: Session,
    actor: Actor,
    *,
    region_code: str,
    proposed_name: str,
    village_codes: Sequence[str] = (),
    submitted_on: date | None = None,
    note: str | None = None,
    external_id: str | None = None,
) -> Proposal:
    """A region proposes a new cooperative, optionally naming the villages it would cover."""
    region_code = region_code.strip()
    region = _region_by_code(session, region_code, "region_code")
    if region.retired:
        raise InvalidInput(
            "region_code", f"region {region_code} was retired from the official list"
        )
    name = clean_name(proposed_name, "proposed_name")
    villages = villages_by_code(session, village_codes) if village_codes else []
    for i, village in enumerate(villages):
        if not village.code.startswith(region.code + ".") and village.code != region.code:
            raise InvalidInput(
                f"village_codes[{i}]", f"village {village.code} is not in region {region.code}"
            )
    external_id = (external_id or "").strip() or None
    if external_id is not None:
        other = session.execute(
            select(Proposal.id).where(Proposal.external_id == external_id)
        ).scalar_one_or_none()
        if other is not None:
            raise Conflict("external_id", f"{external_id!r} already belongs to proposal {other}")
    province, regency, district = ancestor_codes(region.code)
    proposal = Proposal(
        region_id=region.id,
        province_code=province,
        regency_code=regency,
        district_code=district,
        proposed_name=name,
        status=ProposalStatus.submitted,
        submitted_on=submitted_on or date.today(),
        note=note,
        external_id=external_id,
    )
    session.add(proposal)
    session.flush()
    session.add_all(ProposalVillage(proposal_id=proposal.id, village_id=v.id) for v in villages)
    session.flush()
    record(
        session,
        actor,
        "proposal.submit",
        target_type="proposal",
        target_id=proposal.id,
        after={"region": region.code, "name": name, "villages": [v.code for v in villages]},
    )
    note_change(session)
    provinces = [province]
    emit(session, [Change(ChangeType.proposal_submitted, "Proposal", proposal.id, provinces)])
    return proposal


def decide_proposal(
    session: Session,
    actor: Actor,
    proposal_id: int,
    decision: ProposalStatus,
    *,
    decided_on: date | None = None,
    cooperative_id: int | None = None,
    note: str | None = None,
) -> Proposal:
    """Approve, reject, or mark formed (naming the cooperative that was formed)."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound("id", f"no proposal has id {proposal_id}")
    allowed = PROPOSAL_TRANSITIONS[proposal.status]
    if decision not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "nothing (it is final)"
        raise InvalidInput(
            "decision",
            f"a {proposal.status.value} proposal cannot become {decision.value};"
            f" allowed: {options}",
        )
    if decision == ProposalStatus.formed:
        if cooperative_id is None:
            raise InvalidInput("cooperative_id", "name the cooperative that was formed")
        get_cooperative(session, cooperative_id, field="cooperative_id")
    elif cooperative_id is not None:
        raise InvalidInput("cooperative_id", "only a formed proposal names a cooperative")
    before = {"status": proposal.status.value}
    proposal.status = decision
    proposal.decided_on = decided_on or date.today()
    proposal.decided_by = actor.name
    if cooperative_id is not None:
        proposal.cooperative_id = cooperative_id
    if note is not None:
        proposal.note = note
    session.flush()
    record(
        session,
        actor,
        "proposal.decide",
        target_type="proposal",
        target_id=proposal.id,
        before=before,
        after={"status": decision.value, "cooperative_id": cooperative_id},
    )
    note_change(session)
    decided = ["status", "decided_on", "decided_by"]
    if cooperative_id is not None:
        decided.append("cooperative")
    provinces = [proposal.province_code]
    emit(
        session, [Change(ChangeType.proposal_decided, "Proposal", proposal.id, provinces, decided)]
    )
    return proposal
