"""Cooperatives as GraphQL types: the public directory and the partner profile."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from api import loaders
from api.context import Context
from api.permissions import InPartnerScope
from api.schema.common import Node, global_id
from api.schema.regions import Village, to_village
from shared.cooperatives.financing import REQUIREMENT_LABELS, Requirement, assess
from shared.cooperatives.queries import CooperativeRow
from shared.copying import fields_from
from shared.models import (
    CooperativeKind,
    OfficerRole,
    OutletStatus,
    OutletType,
    Scheme,
    Stage,
)
from shared.regions.queries import RegionRow

strawberry.enum(
    Requirement,
    name="FinancingRequirement",
    description="A prerequisite for Himbara financing under PMK 49/2025.",
)


@strawberry.type(description="Legal identifiers of a cooperative (partners only).")
class LegalIdentifiers:
    sk_ahu_number: str | None = strawberry.field(
        description="Number of the SK AHU decree that made it a legal entity."
    )
    sk_ahu_date: date | None = strawberry.field(description="Date of the SK AHU decree.")
    akta_number: str | None = strawberry.field(description="Notarial deed (akta) number.")
    akta_date: date | None = strawberry.field(description="Notarial deed date.")
    notary_name: str | None = strawberry.field(description="The notary (NPAK) of the deed.")
    nik_koperasi: str | None = strawberry.field(description="Cooperative ID (NIK koperasi).")
    nib: str | None = strawberry.field(description="Business ID (NIB).")
    npwp: str | None = strawberry.field(description="Tax ID (NPWP).")
    bank_name: str | None = strawberry.field(description="Bank of its own account.")
    bank_account_number: str | None = strawberry.field(description="Its own bank account.")
    business_proposal_approved_on: date | None = strawberry.field(
        description="When the village head or regent/mayor approved its business proposal."
    )


@strawberry.type(description="Whether a cooperative meets the PMK 49/2025 financing criteria.")
class FinancingReadiness:
    ready: bool = strawberry.field(description="Every requirement is met.")
    met: list[Requirement] = strawberry.field(description="Requirements met.")
    missing: list[Requirement] = strawberry.field(description="Requirements still missing.")
    missing_labels: list[str] = strawberry.field(description="The missing ones, for people.")


@strawberry.type(description="An officer: board (pengurus) or supervisor (pengawas).")
class Officer:
    role: OfficerRole = strawberry.field(description="The officer's role.")
    name: str = strawberry.field(description="The officer's name.")
    term_start: date | None = strawberry.field(description="First day of the term.")
    term_end: date | None = strawberry.field(description="Last day of the term.")


@strawberry.type(description="A business outlet (gerai).")
class Outlet:
    id: strawberry.ID = strawberry.field(description="The outlet's id.")
    type: OutletType = strawberry.field(description="Standard outlet type.")
    kbli: str | None = strawberry.field(description="KBLI activity code.")
    status: OutletStatus = strawberry.field(description="planned, operating or closed.")
    opened_on: date | None = strawberry.field(description="When it opened.")


@strawberry.type(description="A stage reached, with its date.")
class StageEvent:
    stage: Stage = strawberry.field(description="The stage.")
    reached_on: date | None = strawberry.field(description="When it was reached, if known.")
    note: str | None = strawberry.field(description="A steward's note.")


@strawberry.type(description="Members on a date.")
class MemberCount:
    as_of: date = strawberry.field(description="The date of the count.")
    members: int = strawberry.field(description="Members on that date.")


@strawberry.type(
    description=(
        "A Koperasi Desa/Kelurahan Merah Putih. Directory fields are public; the profile"
        " (identifiers, officers, members, outlets, readiness) needs a partner key."
    )
)
class Cooperative(Node):
    database_id: int = strawberry.field(description="The numeric id used by this system.")
    registry_id: str | None = strawberry.field(description="Id in the national registry.")
    name: str = strawberry.field(description="Registered name.")
    kind: CooperativeKind = strawberry.field(description="KDMP or KKMP.")
    scheme: Scheme = strawberry.field(description="How it was formed.")
    stage: Stage = strawberry.field(description="The furthest formation stage reached.")
    is_mockup: bool = strawberry.field(description="A national model cooperative (mockup).")
    version: int = strawberry.field(
        description="Changes with every write; pass it as expectedVersion to update safely."
    )
    updated_at: datetime = strawberry.field(description="Last change.")
    row: strawberry.Private[CooperativeRow]
    # The caller's scope includes it: its protected profile is open (InPartnerScope).
    in_scope: strawberry.Private[bool]
    # Its villages, when the statement that read it joined them (the client asked for them).
    village_rows: strawberry.Private[tuple[RegionRow, ...] | None] = None

    @strawberry.field(description="Villages it covers (several for a merger).")
    def villages(self, info: Info[Context, Any]) -> list[Village]:
        if self.village_rows is not None:
            # Read with the cooperative: a plain value, no awaitable per cooperative.
            return [to_village(r) for r in self.village_rows]
        # Otherwise through the loader: graphql-core awaits what a resolver returns.
        return self._load_villages(info)  # type: ignore[return-value]

    async def _load_villages(self, info: Info[Context, Any]) -> list[Village]:
        rows = await loaders.villages_of_cooperative(info.context).load(self.database_id)
        return [to_village(r) for r in rows]

    @strawberry.field(description="Types of its outlets, each once.")
    async def outlet_types(self, info: Info[Context, Any]) -> list[OutletType]:
        rows = await loaders.outlets_of_cooperative(info.context).load(self.database_id)
        return sorted({r.type for r in rows}, key=list(OutletType).index)

    @strawberry.field(description="Its outlets (partners).", permission_classes=[InPartnerScope])
    async def outlets(self, info: Info[Context, Any]) -> list[Outlet] | None:
        rows = await loaders.outlets_of_cooperative(info.context).load(self.database_id)
        return [to_outlet(r) for r in rows]

    @strawberry.field(
        description="Stages reached, in order (partners).", permission_classes=[InPartnerScope]
    )
    async def stage_history(self, info: Info[Context, Any]) -> list[StageEvent] | None:
        rows = await loaders.stages_of_cooperative(info.context).load(self.database_id)
        order = list(Stage)
        rows = sorted(rows, key=lambda r: order.index(r.stage))
        return [fields_from(StageEvent, r) for r in rows]

    @strawberry.field(
        description="Legal identifiers (partners).", permission_classes=[InPartnerScope]
    )
    def legal_identifiers(self) -> LegalIdentifiers | None:
        return fields_from(LegalIdentifiers, self.row)

    @strawberry.field(
        description="Board and supervisors with their terms (partners).",
        permission_classes=[InPartnerScope],
    )
    async def officers(self, info: Info[Context, Any]) -> list[Officer] | None:
        rows = await loaders.officers_of_cooperative(info.context).load(self.database_id)
        order = list(OfficerRole)
        rows = sorted(rows, key=lambda r: (order.index(r.role), r.id))
        return [fields_from(Officer, r) for r in rows]

    @strawberry.field(
        description="Latest member count (partners).", permission_classes=[InPartnerScope]
    )
    def member_count(self) -> int | None:
        return self.row.member_count

    @strawberry.field(
        description="Member counts over time, oldest first (partners).",
        permission_classes=[InPartnerScope],
    )
    async def member_counts(self, info: Info[Context, Any]) -> list[MemberCount] | None:
        rows = await loaders.member_counts_of_cooperative(info.context).load(self.database_id)
        return [fields_from(MemberCount, r) for r in rows]

    @strawberry.field(
        description="Readiness for Himbara financing under PMK 49/2025 (partners).",
        permission_classes=[InPartnerScope],
    )
    def financing_readiness(self) -> FinancingReadiness | None:
        result = assess(self.row)
        return FinancingReadiness(
            ready=result.ready,
            met=list(result.met),
            missing=list(result.missing),
            missing_labels=[REQUIREMENT_LABELS[r] for r in result.missing],
        )


def to_cooperative(row: CooperativeRow) -> Cooperative:
    return fields_from(
        Cooperative,
        row,
        id=global_id("Cooperative", row.id),
        database_id=row.id,
        row=row,
        village_rows=row.villages,
    )


def to_outlet(row: Any) -> Outlet:
    return fields_from(Outlet, row, id=strawberry.ID(str(row.id)))
