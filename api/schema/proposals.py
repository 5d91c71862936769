"""Proposals of new cooperatives by regions: the list (partners) and the decisions (admin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, ParamSpec

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.pagination import Connection, connection_of, decode_cursor, page_size
from api.permissions import RoleAtLeast, admin_mutation, outside_scope
from api.schema.common import Node, global_id, int_id
from api.schema.cooperatives.queries import cooperative_by_id
from api.schema.cooperatives.types import Cooperative
from api.schema.regions import Region, to_region
from api.schema.user_errors import Refused, UserError, write
from shared.audit import Actor
from shared.copying import fields_from, values_of
from shared.models import Proposal as ProposalModel
from shared.models import ProposalStatus, Role
from shared.models import Region as RegionModel
from shared.proposals import queries, service
from shared.proposals.queries import ProposalFilter as FilterSpec
from shared.proposals.queries import ProposalRow


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


def to_proposal(row: ProposalRow) -> Proposal:
    return fields_from(Proposal, row, id=global_id("Proposal", row.id), database_id=row.id)


@strawberry.input(description="Which proposals to list.")
class ProposalFilter:
    region_code: str | None = strawberry.field(
        default=None, description="Proposed by this region or a region inside it."
    )
    status: ProposalStatus | None = strawberry.field(default=None, description="In this status.")


def spec_of(filter: ProposalFilter | None) -> FilterSpec:
    f = filter or ProposalFilter()
    return FilterSpec(region_code=(f.region_code or "").strip() or None, status=f.status)


class ProposalsInScope(RoleAtLeast):
    """The proposal list: partners and above; a scoped partner key asking for a region outside
    its province is an anonymous caller there, refused with the anonymous caller's code."""

    role = Role.partner

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)  # raises below a partner
        scope = loaders.scope_of(info.context)
        if not queries.outside_scope(spec_of(kwargs.get("filter")), scope):
            return True
        raise outside_scope(info, "that region")


@strawberry.type
class ProposalQuery:
    @strawberry.field(
        description="Proposals, newest id last, in pages (partners; counts are in coverage).",
        permission_classes=[ProposalsInScope],
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
        spec = spec_of(filter)
        ctx = info.context
        scope = loaders.scope_of(ctx)
        read = queries.proposal_page(
            spec, after=int(key[0]) if key else None, size=size, scope=scope
        )
        page = await loaders.run(ctx, read)
        count = loaders.count_of(ctx, queries.proposal_count(spec, scope))
        return connection_of(page, lambda r: (r.id,), to_proposal, after=after, count=count)


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
        return to_proposal(queries.row_of(row, region.code))

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
