"""Proposals of new cooperatives by regions: the list (partners) and the decisions (admin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, ParamSpec

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.pagination import Connection, build_connection, decode_cursor, page_size
from api.permissions import IsPartner, admin_mutation
from api.schema.common import Node, global_id, int_id
from api.schema.cooperatives.queries import cooperative_by_id
from api.schema.cooperatives.types import Cooperative
from api.schema.regions import Region, to_region
from api.schema.user_errors import Refused, UserError, write
from shared.audit import Actor
from shared.copying import fields_from, values_of
from shared.models import Proposal as ProposalModel
from shared.models import ProposalStatus
from shared.models import Region as RegionModel
from shared.proposals import service
from shared.proposals.queries import ProposalFilter as FilterSpec
from shared.proposals.queries import proposal_conditions


@strawberry.type(description="A region's proposal to form a new cooperative.")
class Proposal(Node):
    database_id: int = strawberry.field(description="The numeric id used by this system.")
    proposed_name: str = strawberry.field(description="Name of the proposed cooperative.")
    status: ProposalStatus = strawberry.field(description="Where the proposal stands.")
    submitted_on: date | None = strawberry.field(description="When it was submitted.")
    decided_on: date | None = strawberry.field(description="When it was decided.")
    decided_by: str | None = strawberry.field(description="Who decided.")
    note: str | None = strawberry.field(description="Notes.")
    external_id: str | None = strawberry.field(description="The proposer's own reference.")
    region_code: str = strawberry.field(description="Code of the proposing region.")
    cooperative_id: strawberry.Private[int | None]

    @strawberry.field(description="The proposing region.")
    async def region(self, info: Info[Context, Any]) -> Region | None:
        row = await loaders.region_by_code(info.context).load(self.region_code)
        return to_region(row) if row else None

    @strawberry.field(description="The cooperative formed from it, once formed.")
    async def cooperative(self, info: Info[Context, Any]) -> Cooperative | None:
        if self.cooperative_id is None:
            return None
        return await cooperative_by_id(info, self.cooperative_id)


def to_proposal(row: ProposalModel, region_code: str) -> Proposal:
    return fields_from(
        Proposal,
        row,
        id=global_id("Proposal", row.id),
        database_id=row.id,
        region_code=region_code,
    )


@strawberry.input(description="Which proposals to list.")
class ProposalFilter:
    region_code: str | None = strawberry.field(
        default=None, description="Proposed by this region or a region inside it."
    )
    status: ProposalStatus | None = strawberry.field(default=None, description="In this status.")


async def proposal_rows(ctx: Context, stmt: Any) -> list[tuple[ProposalModel, str]]:
    rows = await loaders.fetch_rows(
        ctx,
        stmt.add_columns(RegionModel.code).join(
            RegionModel, RegionModel.id == ProposalModel.region_id
        ),
    )
    return [(r[0], r[1]) for r in rows]


@strawberry.type
class ProposalQuery:
    @strawberry.field(
        description="Proposals, newest id last, in pages (partners; counts are in coverage).",
        permission_classes=[IsPartner],
    )
    async def proposals(
        self,
        info: Info[Context, Any],
        filter: ProposalFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Proposal]:
        size = page_size(first)
        key = decode_cursor(after, 1)
        f = filter or ProposalFilter()
        conditions = proposal_conditions(
            FilterSpec(region_code=(f.region_code or "").strip() or None, status=f.status)
        )
        stmt = select(ProposalModel).where(*conditions)
        if key:
            stmt = stmt.where(ProposalModel.id > int(key[0]))
        rows = await proposal_rows(info.context, stmt.order_by(ProposalModel.id).limit(size + 1))
        count = loaders.counter(info.context, ProposalModel, conditions)
        return build_connection(
            rows, size, lambda r: (r[0].id,), lambda r: to_proposal(*r), after=after, count=count
        )


P = ParamSpec("P")


@strawberry.type(description="The outcome of a proposal write.")
class ProposalPayload:
    proposal: Proposal | None = strawberry.field(description="The proposal; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.input(description="A region's proposal of a new cooperative.")
class SubmitProposalInput:
    region_code: str = strawberry.field(description="The proposing region (any level).")
    proposed_name: str = strawberry.field(description="Name of the proposed cooperative.")
    village_codes: list[str] = strawberry.field(
        default_factory=list, description="Villages it would cover, inside the region."
    )
    submitted_on: date | None = strawberry.field(default=None, description="Default: today.")
    note: str | None = strawberry.field(default=None, description="A note.")
    external_id: str | None = strawberry.field(default=None, description="Proposer's reference.")


@strawberry.input(description="A decision on a proposal.")
class DecideProposalInput:
    id: strawberry.ID = strawberry.field(description="The proposal.")
    decision: ProposalStatus = strawberry.field(
        description="approved or rejected; formed (with cooperativeId) once formed."
    )
    decided_on: date | None = strawberry.field(default=None, description="Default: today.")
    cooperative_id: strawberry.ID | None = strawberry.field(
        default=None, description="The cooperative formed (for formed)."
    )
    note: str | None = strawberry.field(default=None, description="A note.")


async def _proposal_write(
    info: Info[Context, Any],
    change: Callable[Concatenate[Session, Actor, P], ProposalModel],
    *args: P.args,
    **kwargs: P.kwargs,
) -> ProposalPayload:
    """Run a service's change for the caller; answer with the proposal, or with the user
    errors of a refusal."""

    def written(session: Session, actor: Actor) -> Proposal:
        row = change(session, actor, *args, **kwargs)
        region = session.get(RegionModel, row.region_id)
        assert region is not None
        return to_proposal(row, region.code)

    try:
        proposal = await write(info, written)
    except Refused as refused:
        return ProposalPayload(proposal=None, user_errors=refused.errors)
    return ProposalPayload(proposal=proposal, user_errors=[])


@strawberry.type
class ProposalMutation:
    @admin_mutation(description="Submit a region's proposal of a new cooperative (admin).")
    async def submit_proposal(
        self, info: Info[Context, Any], input: SubmitProposalInput
    ) -> ProposalPayload:
        return await _proposal_write(info, service.submit_proposal, **values_of(input))

    @admin_mutation(description="Approve, reject or mark formed a proposal (admin).")
    async def decide_proposal(
        self, info: Info[Context, Any], input: DecideProposalInput
    ) -> ProposalPayload:
        proposal_id = int_id(input.id, "Proposal")
        formed = input.cooperative_id
        coop_id = int_id(formed, "Cooperative", "cooperativeId") if formed else None
        decision = values_of(input, "id", "cooperative_id")
        return await _proposal_write(
            info, service.decide_proposal, proposal_id, cooperative_id=coop_id, **decision
        )


__all__ = ["Proposal", "ProposalMutation", "ProposalQuery", "to_proposal"]
