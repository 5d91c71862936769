"""Mutations: imports and recalculation for operations, one-by-one writes for stewards.

Every write runs a sync service of ``shared`` in a worker thread, inside one transaction
(``db.transaction()``): the change, its audit row and the data-version bump commit together.
A refusal the caller can fix comes back in ``userErrors``; nothing is written then.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import strawberry
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from strawberry.file_uploads import Upload
from strawberry.types import Info

from api.context import Context
from api.errors import bad_input
from api.permissions import IsAdmin, IsOperations
from api.schema.common import ErrorCode, UserError, actor_of, int_id
from api.schema.cooperatives import Cooperative, Outlet, to_cooperative
from api.schema.jobs import ImportJob, to_job
from api.schema.proposals import Proposal, to_proposal
from shared.cooperatives import service
from shared.cooperatives.errors import ServiceError
from shared.jobs import request_coverage_recompute
from shared.models import Cooperative as CooperativeModel
from shared.models import (
    CooperativeKind,
    OutletStatus,
    OutletType,
    ProposalStatus,
    Region,
    Scheme,
    Stage,
)

T = TypeVar("T")

UPLOAD_CHUNK = 1 << 20


class _Refused(Exception):
    def __init__(self, errors: list[UserError]) -> None:
        self.errors = errors


async def _write(info: Info[Context, Any], work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction in a worker thread; refusals become user errors."""
    db = info.context.db

    def run() -> T:
        try:
            with db.transaction() as session:
                return work(session)
        except ServiceError as exc:
            raise _Refused([UserError.from_error(exc)]) from exc
        except IntegrityError as exc:
            # A concurrent write took the village or identifier between check and insert.
            message = str(exc.orig).splitlines()[0] if exc.orig else "conflicting data"
            raise _Refused(
                [UserError(code=ErrorCode.CONFLICT, field=None, message=message)]
            ) from exc

    return await run_in_threadpool(run)


def _coop_result(session: Session, coop: CooperativeModel) -> CooperativeModel:
    session.flush()
    session.refresh(coop)  # server-side and on-update values, before the session closes
    return coop


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


@strawberry.type(description="The outcome of a proposal write.")
class ProposalPayload:
    proposal: Proposal | None = strawberry.field(description="The proposal; null when refused.")
    user_errors: list[UserError] = strawberry.field(description="Why it was refused; empty if not.")


@strawberry.type(description="The outcome of starting a job.")
class ImportJobPayload:
    job: ImportJob | None = strawberry.field(description="The queued job; null when refused.")
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


@strawberry.input(description="Which edition an uploaded village list is.")
class EditionInput:
    label: str = strawberry.field(description='Unique label, e.g. "2025".')
    decree: str | None = strawberry.field(default=None, description="The decree's number.")
    published_on: date | None = strawberry.field(default=None, description="Adoption date.")


def _safe_name(filename: str | None) -> str:
    """The client's file name, usable as a file name here: its last part without control
    characters, never "." or "..", short enough for the file system; the suffixes are kept
    because readers pick the format by them."""
    name = Path(re.sub(r"[\x00-\x1f\x7f\\]", "_", filename or "")).name
    if name.strip(".") == "":
        return "upload.bin"
    if len(name.encode()) > 150:
        suffixes = "".join(s for s in Path(name).suffixes[-2:] if len(s) <= 10)
        name = "upload" + suffixes
    return name


async def _save_upload(upload: Any, folder: Path) -> Path:
    """Write an upload to a file keeping its name (readers pick the format by suffix)."""
    if not callable(getattr(upload, "read", None)):
        # A multipart part without a filename arrives as a plain form string.
        raise bad_input("`file` must be a file part (with a filename) of the multipart request")
    target = folder / _safe_name(getattr(upload, "filename", None))
    with target.open("wb") as out:
        while chunk := await upload.read(UPLOAD_CHUNK):
            await run_in_threadpool(out.write, chunk)
    return target


async def _cooperative_write(
    info: Info[Context, Any], work: Callable[[Session], CooperativeModel]
) -> CooperativePayload:
    """Run a write that answers with the cooperative; a refusal answers with user errors."""
    try:
        coop = await _write(info, work)
    except _Refused as refused:
        return CooperativePayload(cooperative=None, user_errors=refused.errors)
    return CooperativePayload(cooperative=to_cooperative(coop), user_errors=[])


@strawberry.type
class OperationsMutation:
    @strawberry.mutation(
        description="Queue a recalculation of all coverage figures (operations).",
        permission_classes=[IsOperations],
    )
    async def recompute_coverage(self, info: Info[Context, Any]) -> ImportJobPayload:
        ctx = info.context
        job = await run_in_threadpool(request_coverage_recompute, ctx.db, actor=actor_of(info))
        return ImportJobPayload(job=to_job(job), user_errors=[])

    @strawberry.mutation(
        description=(
            "Upload an edition of the official list (a ZIP of the four CSVs, or one file per"
            " call) and queue its import; dryRun checks and compares without writing."
        ),
        permission_classes=[IsOperations],
    )
    async def start_village_import(
        self,
        info: Info[Context, Any],
        file: Upload,
        edition: EditionInput,
        dry_run: bool = False,
        mapping: Annotated[
            Upload | None,
            strawberry.argument(
                description=(
                    "CSV old_code,new_code for re-coded villages: their cooperatives and"
                    " proposals move."
                )
            ),
        ] = None,
    ) -> ImportJobPayload:
        from shared.villages.service import EditionInfo, ImportRefused, start_village_import

        ctx = info.context
        with tempfile.TemporaryDirectory(prefix="kopdes-upload-") as tmp:
            folder = Path(tmp)
            source = await _save_upload(file, folder)
            mapping_path = None
            if mapping is not None:
                (folder / "mapping").mkdir()
                mapping_path = await _save_upload(mapping, folder / "mapping")
            try:
                job = await run_in_threadpool(
                    lambda: start_village_import(
                        ctx.db,
                        [source],
                        edition=EditionInfo(
                            label=edition.label,
                            decree=edition.decree,
                            published_on=edition.published_on,
                        ),
                        mapping=mapping_path,
                        dry_run=dry_run,
                        actor=actor_of(info),
                    )
                )
            except ImportRefused as exc:
                return ImportJobPayload(
                    job=None,
                    user_errors=[
                        UserError(code=ErrorCode.INVALID, field="edition", message=str(exc))
                    ],
                )
        return ImportJobPayload(job=to_job(job), user_errors=[])

    @strawberry.mutation(
        description="Upload a registry snapshot (CSV or XLSX) and queue its import (operations).",
        permission_classes=[IsOperations],
    )
    async def start_cooperative_import(
        self, info: Info[Context, Any], file: Upload, dry_run: bool = False
    ) -> ImportJobPayload:
        from shared.registry.service import start_cooperative_import

        ctx = info.context
        with tempfile.TemporaryDirectory(prefix="kopdes-upload-") as tmp:
            source = await _save_upload(file, Path(tmp))
            job = await run_in_threadpool(
                lambda: start_cooperative_import(
                    ctx.db, source, actor_of(info), dry_run=dry_run, source_name=source.name
                )
            )
        return ImportJobPayload(job=to_job(job), user_errors=[])


@strawberry.type
class StewardMutation:
    @strawberry.mutation(
        description="Register a cooperative for villages (admin).", permission_classes=[IsAdmin]
    )
    async def register_cooperative(
        self, info: Info[Context, Any], input: RegisterCooperativeInput
    ) -> CooperativePayload:
        actor = actor_of(info)

        def work(session: Session) -> CooperativeModel:
            coop = service.register_cooperative(
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
            )
            return _coop_result(session, coop)

        return await _cooperative_write(info, work)

    @strawberry.mutation(
        description="Change a cooperative's fields (admin).", permission_classes=[IsAdmin]
    )
    async def update_cooperative(
        self, info: Info[Context, Any], input: UpdateCooperativeInput
    ) -> CooperativePayload:
        actor = actor_of(info)
        coop_id = int_id(input.id, "Cooperative")

        def work(session: Session) -> CooperativeModel:
            coop = service.update_cooperative(
                session, actor, coop_id, input.changes(), expected_version=input.expected_version
            )
            return _coop_result(session, coop)

        return await _cooperative_write(info, work)

    @strawberry.mutation(
        description="Record a stage a cooperative reached (admin).", permission_classes=[IsAdmin]
    )
    async def record_stage(
        self, info: Info[Context, Any], input: RecordStageInput
    ) -> CooperativePayload:
        actor = actor_of(info)
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")

        def work(session: Session) -> CooperativeModel:
            coop = service.record_stage(
                session,
                actor,
                coop_id,
                input.stage,
                reached_on=input.reached_on,
                note=input.note,
                expected_version=input.expected_version,
            )
            return _coop_result(session, coop)

        return await _cooperative_write(info, work)

    @strawberry.mutation(
        description="Add a business outlet (gerai) to a cooperative (admin).",
        permission_classes=[IsAdmin],
    )
    async def add_outlet(self, info: Info[Context, Any], input: AddOutletInput) -> OutletPayload:
        actor = actor_of(info)
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")

        def work(session: Session) -> tuple[Outlet, CooperativeModel]:
            row = service.add_outlet(
                session,
                actor,
                coop_id,
                input.type,
                kbli=input.kbli,
                status=input.status,
                opened_on=input.opened_on,
            )
            outlet = Outlet(
                id=strawberry.ID(str(row.id)),
                type=row.type,
                kbli=row.kbli,
                status=row.status,
                opened_on=row.opened_on,
            )
            coop = session.get(CooperativeModel, coop_id)
            assert coop is not None
            return outlet, _coop_result(session, coop)

        try:
            outlet, coop = await _write(info, work)
        except _Refused as refused:
            return OutletPayload(outlet=None, cooperative=None, user_errors=refused.errors)
        return OutletPayload(outlet=outlet, cooperative=to_cooperative(coop), user_errors=[])

    @strawberry.mutation(
        description="Add villages to a cooperative or take them off (admin).",
        permission_classes=[IsAdmin],
    )
    async def link_cooperative_villages(
        self, info: Info[Context, Any], input: LinkCooperativeVillagesInput
    ) -> CooperativePayload:
        actor = actor_of(info)
        coop_id = int_id(input.cooperative_id, "Cooperative", "cooperativeId")

        def work(session: Session) -> CooperativeModel:
            coop = service.link_villages(
                session,
                actor,
                coop_id,
                link=input.link,
                unlink=input.unlink,
                expected_version=input.expected_version,
            )
            return _coop_result(session, coop)

        return await _cooperative_write(info, work)

    @strawberry.mutation(
        description="Submit a region's proposal of a new cooperative (admin).",
        permission_classes=[IsAdmin],
    )
    async def submit_proposal(
        self, info: Info[Context, Any], input: SubmitProposalInput
    ) -> ProposalPayload:
        actor = actor_of(info)

        def work(session: Session) -> Proposal:
            row = service.submit_proposal(
                session,
                actor,
                region_code=input.region_code.strip(),
                proposed_name=input.proposed_name,
                village_codes=input.village_codes,
                submitted_on=input.submitted_on,
                note=input.note,
                external_id=input.external_id,
            )
            region = session.get(Region, row.region_id)
            assert region is not None
            return to_proposal(row, region.code)

        try:
            return ProposalPayload(proposal=await _write(info, work), user_errors=[])
        except _Refused as refused:
            return ProposalPayload(proposal=None, user_errors=refused.errors)

    @strawberry.mutation(
        description="Approve, reject or mark formed a proposal (admin).",
        permission_classes=[IsAdmin],
    )
    async def decide_proposal(
        self, info: Info[Context, Any], input: DecideProposalInput
    ) -> ProposalPayload:
        actor = actor_of(info)
        proposal_id = int_id(input.id, "Proposal")
        coop_id = (
            int_id(input.cooperative_id, "Cooperative", "cooperativeId")
            if input.cooperative_id
            else None
        )

        def work(session: Session) -> Proposal:
            row = service.decide_proposal(
                session,
                actor,
                proposal_id,
                input.decision,
                decided_on=input.decided_on,
                cooperative_id=coop_id,
                note=input.note,
            )
            region = session.get(Region, row.region_id)
            assert region is not None
            return to_proposal(row, region.code)

        try:
            return ProposalPayload(proposal=await _write(info, work), user_errors=[])
        except _Refused as refused:
            return ProposalPayload(proposal=None, user_errors=refused.errors)
