"""Writing cooperatives (admin): register, change, record a stage, add an outlet, link
villages. Each write is one transaction; a refusal answers in ``userErrors``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Concatenate, ParamSpec

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from api.context import Context
from api.permissions import admin_mutation, operations_mutation
from api.schema.common import int_id
from api.schema.cooperatives.types import Cooperative, Outlet, to_cooperative, to_outlet
from api.schema.user_errors import Refused, UserError, write
from shared.audit import Actor
from shared.cooperatives import service
from shared.cooperatives.officers import OfficerEntry, record_officers
from shared.cooperatives.queries import CooperativeRow, row_of
from shared.copying import values_of
from shared.models import Cooperative as CooperativeModel
from shared.models import CooperativeKind, OfficerRole, OutletStatus, OutletType, Scheme, Stage

P = ParamSpec("P")


@strawberry.type(description="The outcome of a cooperative write.")
class CooperativePayload:
    cooperative: Cooperative | None = strawberry.field(
        description="The cooperative as written; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.type(description="The outcome of adding an outlet.")
class OutletPayload:
    outlet: Outlet | None = strawberry.field(description="The new outlet; null when refused.")
    cooperative: Cooperative | None = strawberry.field(description="Its cooperative.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.input(description="A new cooperative.")
class RegisterCooperativeInput:
    name: str = strawberry.field(description="Registered name.")
    village_codes: list[str] = strawberry.field(
        description="Villages it covers (several for a merger), none covered by another."
    )
    scheme: Scheme = strawberry.field(default=Scheme.new, description="How it is formed.")
    kind: CooperativeKind | None = strawberry.field(
        default=None, description="KDMP or KKMP; derived from the villages when omitted."
    )
    stage: Stage = strawberry.field(default=Stage.deliberation, description="Stage reached.")
    reached_on: date | None = strawberry.field(default=None, description="When it was reached.")
    is_mockup: bool = strawberry.field(default=False, description="A national model.")
    registry_id: str | None = strawberry.field(default=None, description="National registry id.")


def unset(description: str) -> Any:
    """An optional input field that stays UNSET when the client leaves it out (unlike null)."""
    return strawberry.field(default=strawberry.UNSET, description=description)


@strawberry.input(description="Fields to change on a cooperative; omitted fields stay.")
class UpdateCooperativeInput:
    id: strawberry.ID = strawberry.field(description="The cooperative.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with STALE_VERSION unless it is at this version."
    )
    name: str | None = unset("Name.")
    scheme: Scheme | None = unset("Scheme.")
    is_mockup: bool | None = unset("Mockup.")
    registry_id: str | None = unset("Registry id.")
    sk_ahu_number: str | None = unset("SK AHU number.")
    sk_ahu_date: date | None = unset("SK AHU date.")
    akta_number: str | None = unset("Deed number.")
    akta_date: date | None = unset("Deed date.")
    notary_name: str | None = unset("Notary.")
    nik_koperasi: str | None = unset("NIK koperasi.")
    nib: str | None = unset("NIB.")
    npwp: str | None = unset("NPWP.")
    bank_name: str | None = unset("Bank.")
    bank_account_number: str | None = unset("Account number in the cooperative's name.")
    business_proposal_approved_on: date | None = unset("Business proposal approval date.")
    member_count: int | None = unset("Latest member count.")

    def changes(self) -> dict[str, Any]:
        names = sorted(service.UPDATABLE)
        return {n: getattr(self, n) for n in names if getattr(self, n) is not strawberry.UNSET}


@strawberry.input(description="A stage reached.")
class RecordStageInput:
    cooperative_id: strawberry.ID = strawberry.field(description="The cooperative.")
    stage: Stage = strawberry.field(description="The stage reached.")
    reached_on: date | None = strawberry.field(default=None, description="When.")
    note: str | None = strawberry.field(default=None, description="A note.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with STALE_VERSION unless at this version."
    )


@strawberry.input(description="A new outlet (gerai).")
class AddOutletInput:
    cooperative_id: strawberry.ID = strawberry.field(description="The cooperative.")
    type: OutletType = strawberry.field(description="Standard outlet type.")
    kbli: str | None = strawberry.field(
        default=None, description="KBLI code; filled in when the type has only one."
    )
    status: OutletStatus = strawberry.field(default=OutletStatus.operating, description="Status.")
    opened_on: date | None = strawberry.field(default=None, description="Opening date.")


@strawberry.input(description="Villages to add to a cooperative (merger) or take off.")
class LinkCooperativeVillagesInput:
    cooperative_id: strawberry.ID = strawberry.field(description="The cooperative.")
    link: list[str] = strawberry.field(default_factory=list, description="Village codes to add.")
    unlink: list[str] = strawberry.field(
        default_factory=list, description="Village codes to take off."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with STALE_VERSION unless at this version."
    )


@strawberry.input(description="An officer: board (pengurus) or supervisor (pengawas).")
class OfficerInput:
    role: OfficerRole = strawberry.field(description="The role (ketua = chair, ...).")
    name: str = strawberry.field(description="The officer's name.")
    term_start: date | None = strawberry.field(default=None, description="First day of the term.")
    term_end: date | None = strawberry.field(default=None, description="Last day of the term.")


@strawberry.input(description="A cooperative's officers, replacing those recorded before.")
class RecordOfficersInput:
    cooperative_id: strawberry.ID = strawberry.field(description="The cooperative.")
    officers: list[OfficerInput] = strawberry.field(
        description="Every officer now in office; an empty list clears them."
    )
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with STALE_VERSION unless at this version."
    )


async def _cooperative_write(
    info: Info[Context, Any],
    change: Callable[Concatenate[Session, Actor, P], CooperativeModel],
    *args: P.args,
    **kwargs: P.kwargs,
) -> CooperativePayload:
    """Run a service's change for the caller; answer with the cooperative, or with the user
    errors of a refusal."""

    def written(session: Session, actor: Actor) -> CooperativeRow:
        coop = change(session, actor, *args, **kwargs)
        session.flush()
        session.refresh(coop)  # server-side and on-update values, before the session closes
        return row_of(coop)

    try:
        coop = await write(info, written)
    except Refused as refused:
        return CooperativePayload(cooperative=None, user_errors=refused.errors)
    return CooperativePayload(cooperative=to_cooperative(coop), user_errors=[])


@strawberry.type
class CooperativeMutation:
    @admin_mutation(description="Register a cooperative for villages (admin).")
    async def register_cooperative(
        self, info: Info[Context, Any], input: RegisterCooperativeInput
    ) -> CooperativePayload:
        return await _cooperative_write(info, service.register_cooperative, **values_of(input))

    @admin_mutation(description="Change a cooperative's fields (admin).")
    async def update_cooperative(
        self, info: Info[Context, Any], input: UpdateCooperativeInput
    ) -> CooperativePayload:
        coop_id = int_id(input.id, "Cooperative")
        changes, version = input.changes(), input.expected_version
        return await _cooperative_write(
            info, service.update_cooperative, coop_id, changes, expected_version=version
        )

    @admin_mutation(description="Record a stage a cooperative reached (admin).")
    async def record_stage(
        self, info: Info[Context, Any], input: RecordStageInput
    ) -> CooperativePayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        stage = values_of(input, "cooperative_id")
        return await _cooperative_write(info, service.record_stage, coop_id, **stage)

    @admin_mutation(description="Add a business outlet (gerai) to a cooperative (admin).")
    async def add_outlet(self, info: Info[Context, Any], input: AddOutletInput) -> OutletPayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        outlet = values_of(input, "cooperative_id", "type")

        def work(session: Session, actor: Actor) -> tuple[Outlet, CooperativeRow]:
            row = service.add_outlet(session, actor, coop_id, input.type, **outlet)
            session.flush()
            coop = session.get(CooperativeModel, coop_id)
            assert coop is not None
            session.refresh(coop)
            return to_outlet(row), row_of(coop)

        try:
            added, coop = await write(info, work)
        except Refused as refused:
            return OutletPayload(outlet=None, cooperative=None, user_errors=refused.errors)
        return OutletPayload(outlet=added, cooperative=to_cooperative(coop), user_errors=[])

    @operations_mutation(
        description="Record a cooperative's officers (board and supervisors) with their terms,"
        " replacing those recorded before (operations)."
    )
    async def record_officers(
        self, info: Info[Context, Any], input: RecordOfficersInput
    ) -> CooperativePayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        officers = [OfficerEntry(**values_of(o)) for o in input.officers]
        version = input.expected_version
        return await _cooperative_write(
            info, record_officers, coop_id, officers, expected_version=version
        )

    @admin_mutation(description="Add villages to a cooperative or take them off (admin).")
    async def link_cooperative_villages(
        self, info: Info[Context, Any], input: LinkCooperativeVillagesInput
    ) -> CooperativePayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        links = values_of(input, "cooperative_id")
        return await _cooperative_write(info, service.link_villages, coop_id, **links)
