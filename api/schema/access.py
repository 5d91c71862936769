"""API keys and the audit log over GraphQL: administrators only.

``AccessQuery`` and ``AccessMutation`` are mixins of the root Query and Mutation types.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from strawberry.scalars import JSON
from strawberry.types import Info

from api.context import Context
from api.errors import bad_input, not_found
from api.pagination import Connection, build_connection, decode_cursor, page_size
from api.permissions import IsAdmin, admin_mutation
from api.schema.common import actor_of, db_int
from api.schema.user_errors import argument_error
from shared.access import keys
from shared.audit import Actor
from shared.audit.reader import AuditFilter, audit_page
from shared.copying import fields_from
from shared.db import Database
from shared.errors import ServiceError
from shared.models import ApiKey as ApiKeyModel
from shared.models import AuditEntry as AuditEntryModel
from shared.models import Role

T = TypeVar("T")
R = TypeVar("R")

# The key service names two fields after the CLI's options: the input's names for them.
KEY_INPUT_NAMES = {"province": "provinceCode", "expires": "expiresAt"}


@strawberry.enum(description="What a key may do; each role includes the ones before it.")
class ApiKeyRole(Enum):
    PARTNER = "partner"
    OPERATIONS = "operations"
    ADMIN = "admin"


@strawberry.type(name="ApiKey", description="An API key. Its token was shown once, at creation.")
class ApiKeyType:
    id: strawberry.ID = strawberry.field(description="The key's id.")
    prefix: str = strawberry.field(description="The visible start of the token, kdp_<prefix>_.")
    name: str = strawberry.field(description="Who or what the key is for.")
    role: ApiKeyRole = strawberry.field(description="What the key may do.")
    province_code: str | None = strawberry.field(
        description="A partner key's province; profiles elsewhere are invisible to it."
    )
    created_at: datetime = strawberry.field(description="When the key was issued.")
    created_by: str | None = strawberry.field(description="Who issued it.")
    expires_at: datetime | None = strawberry.field(description="When it stops working.")
    last_used_at: datetime | None = strawberry.field(
        description="Last request made with it, to the minute."
    )
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    active: bool = strawberry.field(description="Neither revoked nor expired.")

    @classmethod
    def from_model(cls, key: ApiKeyModel, now: datetime | None = None) -> ApiKeyType:
        now = now or datetime.now().astimezone()
        expired = key.expires_at is not None and key.expires_at <= now
        return fields_from(
            cls,
            key,
            id=strawberry.ID(str(key.id)),
            role=ApiKeyRole(key.role.value),
            active=key.revoked_at is None and not expired,
        )


@strawberry.type(description="A new key and its token. Store the token now: it is not kept.")
class CreatedApiKey:
    key: ApiKeyType = strawberry.field(description="The new key.")
    token: str = strawberry.field(description="Send it as `Authorization: Bearer <token>`.")


@strawberry.input(description="A key to issue.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="Who or what the key is for, e.g. 'Bank X credit'.")
    role: ApiKeyRole = strawberry.field(description="What the key may do.")
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working; never if left out."
    )
    province_code: str | None = strawberry.field(
        default=None, description="Limit a partner key to one province, e.g. '64'."
    )


@strawberry.type(name="AuditEntry", description="One change: who, what, before and after.")
class AuditEntryType:
    id: strawberry.ID = strawberry.field(description="The entry's id.")
    at: datetime = strawberry.field(description="When the change committed.")
    actor: str = strawberry.field(description="key:<name>, cli:<user> or system.")
    api_key_id: strawberry.ID | None = strawberry.field(description="The key used, if any.")
    operation: str = strawberry.field(description="What was done, e.g. apikey.create.")
    target_type: str | None = strawberry.field(description="Kind of thing changed.")
    target_id: str | None = strawberry.field(description="Which one.")
    before: JSON | None = strawberry.field(description="Values before the change.")
    after: JSON | None = strawberry.field(description="Values after the change.")
    request_id: str | None = strawberry.field(description="The request that made the change.")

    @classmethod
    def from_model(cls, entry: AuditEntryModel) -> AuditEntryType:
        key_id = entry.api_key_id
        return fields_from(
            cls,
            entry,
            id=strawberry.ID(str(entry.id)),
            api_key_id=None if key_id is None else strawberry.ID(str(key_id)),
        )


@strawberry.input(description="Audit entries to find; every given condition must hold.")
class AuditLogFilter:
    operation: str | None = strawberry.field(
        default=None, description="Exact operation, or a family like 'apikey.*'."
    )
    target_type: str | None = strawberry.field(default=None, description="e.g. cooperative.")
    target_id: str | None = strawberry.field(default=None, description="The target's id.")
    api_key_id: strawberry.ID | None = strawberry.field(default=None, description="Key used.")
    actor: str | None = strawberry.field(default=None, description="e.g. key:ops-team.")
    request_id: str | None = strawberry.field(default=None, description="One request's changes.")
    since: datetime | None = strawberry.field(default=None, description="At or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Before this time.")

    def to_service(self) -> AuditFilter:
        key_id: int | None = None
        if self.api_key_id is not None:
            key_id = db_int(str(self.api_key_id))
            if key_id is None:
                raise bad_input("`apiKeyId` is not a key id", argument="filter.apiKeyId")
        return fields_from(AuditFilter, self, api_key_id=key_id)


def _in_transaction(db: Database, work: Any, *args: Any, **kwargs: Any) -> Any:
    with db.transaction() as session:
        return work(session, *args, **kwargs)


def _create(session: Session, actor: Actor, data: CreateApiKeyInput) -> tuple[ApiKeyType, str]:
    issued = keys.create_key(
        session,
        actor,
        name=data.name,
        role=Role(data.role.value),
        expires_at=data.expires_at,
        province_code=data.province_code,
    )
    return ApiKeyType.from_model(issued.key), issued.token


def _revoke(session: Session, actor: Actor, key_id: int) -> ApiKeyType:
    return ApiKeyType.from_model(keys.revoke_key(session, actor, key_id))


@strawberry.type
class AccessQuery:
    @strawberry.field(
        permission_classes=[IsAdmin], description="API keys, active ones unless told otherwise."
    )
    async def api_keys(
        self, info: Info[Context, None], include_revoked: bool = False
    ) -> list[ApiKeyType]:
        rows = await run_in_threadpool(
            _in_transaction, info.context.db, keys.list_keys, include_revoked=include_revoked
        )
        return [ApiKeyType.from_model(row) for row in rows]

    @strawberry.field(
        permission_classes=[IsAdmin],
        description="The audit log, newest first: every change, import and key change.",
    )
    async def audit_log(
        self,
        info: Info[Context, None],
        filter: AuditLogFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AuditEntryType]:
        size = page_size(first)
        cursor = decode_cursor(after, 1)
        before_id: int | None = None
        if cursor is not None:
            if not isinstance(cursor[0], int):
                raise bad_input("`after` is not a cursor of this list", argument="after")
            before_id = cursor[0]
        conditions = filter.to_service() if filter else AuditFilter()
        page = await run_in_threadpool(
            _in_transaction,
            info.context.db,
            audit_page,
            conditions,
            first=size + 1,
            before_id=before_id,
        )
        return build_connection(
            page.entries, size, lambda entry: [entry.id], AuditEntryType.from_model, after=after
        )


async def _key_change(
    info: Info[Context, None], work: Callable[[Session, Actor, T], R], argument: T
) -> R:
    """A key change in one transaction. A refusal is an error of the request, naming the
    argument: the published result types of these mutations carry no ``userErrors``."""
    try:
        return await run_in_threadpool(
            _in_transaction, info.context.db, work, actor_of(info), argument
        )
    except ServiceError as exc:
        raise argument_error(exc, "input", KEY_INPUT_NAMES) from None


@strawberry.type
class AccessMutation:
    @admin_mutation(
        description="Issue an API key. The answer holds its token, the only time it is shown."
    )
    async def create_api_key(
        self, info: Info[Context, None], input: CreateApiKeyInput
    ) -> CreatedApiKey:
        key, token = await _key_change(info, _create, input)
        return CreatedApiKey(key=key, token=token)

    @admin_mutation(description="Revoke an API key: it stops working on the next request.")
    async def revoke_api_key(self, info: Info[Context, None], id: strawberry.ID) -> ApiKeyType:
        key_id = db_int(str(id))
        if key_id is None:
            raise not_found(f"no API key {id}")
        return await _key_change(info, _revoke, key_id)
