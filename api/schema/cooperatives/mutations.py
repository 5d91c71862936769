"""Writing cooperatives (admin): register, change, record a stage, add an outlet, link
villages. Each write is one transaction; a refusal answers in ``userErrors``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from api.context import Context
from api.permissions import admin_mutation
from api.schema.common import int_id
from api.schema.cooperatives.types import Cooperative, Outlet, to_cooperative, to_outlet
from api.schema.user_errors import Refused, UserError, write
from shared.audit import Actor
from shared.cooperatives import service
from shared.models import Cooperative as CooperativeModel
from shared.models import CooperativeKind, OutletStatus, OutletType, Scheme, Stage


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


@strawberry.input(description="Fields to change on a cooperative; omitted fields stay.")
class UpdateCooperativeInput:
    id: strawberry.ID = strawberry.field(description="The cooperative.")
    expected_version: int | None = strawberry.field(
        default=None, description="Refuse with STALE_VERSION unless it is at this version."
    )
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    scheme: Scheme | None = strawberry.field(default=strawberry.UNSET, description="Scheme.")
    is_mockup: bool | None = strawberry.field(default=strawberry.UNSET, description="Mockup.")
    registry_id: str | None = strawberry.field(default=strawberry.UNSET, description="Registry id.")
    sk_ahu_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="SK AHU number."
    )
    sk_ahu_date: date | None = strawberry.field(
        default=strawberry.UNSET, description="SK AHU date."
    )
    akta_number: str | None = strawberry.field(default=strawberry.UNSET, description="Deed number.")
    akta_date: date | None = strawberry.field(default=strawberry.UNSET, description="Deed date.")
    notary_name: str | None = strawberry.field(default=strawberry.UNSET, description="Notary.")
    nik_koperasi: str | None = strawberry.field(
        default=strawberry.UNSET, description="NIK koperasi."
    )
    nib: str | None = strawberry.field(default=strawberry.UNSET, description="NIB.")
    npwp: str | None = strawberry.field(default=strawberry.UNSET, description="NPWP.")
    bank_name: str | None = strawberry.field(default=strawberry.UNSET, description="Bank.")
    bank_account_number: str | None = strawberry.field(
        default=strawberry.UNSET, description="Account number in the cooperative's name."
    )
    business_proposal_approved_on: date | None = strawberry.field(
        default=strawberry.UNSET, description="Business proposal approval date."
    )
    member_count: int | None = strawberry.field(
        default=strawberry.UNSET, description="Latest member count."
    )

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


async def _cooperative_write(
    info: Info[Context, Any], work: Callable[[Session, Actor], CooperativeModel]
) -> CooperativePayload:
    """Run a write that answers with the cooperative; a refusal answers with user errors."""

    def written(session: Session, actor: Actor) -> CooperativeModel:
        coop = work(session, actor)
        session.flush()
        session.refresh(coop)  # server-side and on-update values, before the session closes
        return coop

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
        return await _cooperative_write(
            info,
            lambda session, actor: service.register_cooperative(
                session,
                actor,
                name=input.name,
                village_codes=input.village_codes,
                scheme=input.scheme,
                kind=input.kind,
                stage=input.stage,
                reached_on=input.reached_on,
                is_mockup=input.is_mockup,
                registry_id=input.registry_id,
            ),
        )

    @admin_mutation(description="Change a cooperative's fields (admin).")
    async def update_cooperative(
        self, info: Info[Context, Any], input: UpdateCooperativeInput
    ) -> CooperativePayload:
        coop_id = int_id(input.id, "Cooperative")
        return await _cooperative_write(
            info,
            lambda session, actor: service.update_cooperative(
                session, actor, coop_id, input.changes(), expected_version=input.expected_version
            ),
        )

    @admin_mutation(description="Record a stage a cooperative reached (admin).")
    async def record_stage(
        self, info: Info[Context, Any], input: RecordStageInput
    ) -> CooperativePayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        return await _cooperative_write(
            info,
            lambda session, actor: service.record_stage(
                session,
                actor,
                coop_id,
                input.stage,
                reached_on=input.reached_on,
                note=input.note,
                expected_version=input.expected_version,
            ),
        )

    @admin_mutation(description="Add a business outlet (gerai) to a cooperative (admin).")
    async def add_outlet(self, info: Info[Context, Any], input: AddOutletInput) -> OutletPayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")

        def work(session: Session, actor: Actor) -> tuple[Outlet, CooperativeModel]:
            row = service.add_outlet(
                session,
                actor,
                coop_id,
                input.type,
                kbli=input.kbli,
                status=input.status,
                opened_on=input.opened_on,
            )
            session.flush()
            coop = session.get(CooperativeModel, coop_id)
            assert coop is not None
            session.refresh(coop)
            return to_outlet(row), coop

        try:
            outlet, coop = await write(info, work)
        except Refused as refused:
            return OutletPayload(outlet=None, cooperative=None, user_errors=refused.errors)
        return OutletPayload(outlet=outlet, cooperative=to_cooperative(coop), user_errors=[])

    @admin_mutation(description="Add villages to a cooperative or take them off (admin).")
    async def link_cooperative_villages(
        self, info: Info[Context, Any], input: LinkCooperativeVillagesInput
    ) -> CooperativePayload:
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")
        return await _cooperative_write(
            info,
            lambda session, actor: service.link_villages(
                session,
                actor,
                coop_id,
                link=input.link,
                unlink=input.unlink,
                expected_version=input.expected_version,
            ),
        )
