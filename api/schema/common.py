"""Pieces every part of the schema uses: enums, the Node interface, global ids, the actor.

The domain's enums are registered with Strawberry here (``strawberry.enum`` marks the class
itself), so schema modules annotate fields with the enums of ``shared.models`` directly.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import strawberry
from strawberry.types import Info

from api.context import Context
from api.errors import bad_input
from shared.audit import Actor
from shared.models import (
    CooperativeKind,
    JobKind,
    JobPhase,
    JobStatus,
    OfficerRole,
    OutletStatus,
    OutletType,
    ProposalStatus,
    RegionKind,
    RegionLevel,
    Scheme,
    Stage,
)

strawberry.enum(
    RegionLevel, name="RegionLevel", description="Level of a region in the official list."
)
strawberry.enum(
    RegionKind,
    name="RegionKind",
    description="kabupaten/kota for a regency, desa/kelurahan for a village.",
)
strawberry.enum(
    CooperativeKind,
    name="CooperativeKind",
    description="KDMP (Koperasi Desa Merah Putih, in a desa) or KKMP (in a kelurahan).",
)
strawberry.enum(
    Scheme,
    name="Scheme",
    description="How the cooperative was formed: new, developed from one, or revitalised.",
)
strawberry.enum(
    Stage,
    name="Stage",
    description="Formation stages, in order: deliberation (musdesus) to operational.",
)
strawberry.enum(OutletType, name="OutletType", description="Standard business outlets (gerai).")
strawberry.enum(OutletStatus, name="OutletStatus", description="Whether an outlet operates.")
strawberry.enum(
    OfficerRole,
    name="OfficerRole",
    description="Board (pengurus) and supervisory (pengawas) roles.",
)
strawberry.enum(
    ProposalStatus,
    name="ProposalStatus",
    description="submitted, then approved or rejected; formed once the cooperative exists.",
)
strawberry.enum(JobKind, name="JobKind", description="What a job does.")
strawberry.enum(JobStatus, name="JobStatus", description="Where a job stands.")
strawberry.enum(JobPhase, name="JobPhase", description="The step a running job is in.")


@strawberry.interface(description="An object with a global id (Relay); fetch it with `node`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Global id, opaque and stable.")


def global_id(type_name: str, key: object) -> strawberry.ID:
    raw = f"{type_name}:{key}".encode()
    return strawberry.ID(base64.urlsafe_b64encode(raw).decode().rstrip("="))


def parse_global_id(value: str, argument: str = "id") -> tuple[str, str]:
    """(type name, key) of a global id; a malformed id is BAD_USER_INPUT."""
    try:
        raw = base64.urlsafe_b64decode((value + "=" * (-len(value) % 4)).encode()).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raw = ""
    type_name, sep, key = raw.partition(":")
    if not sep or not type_name or not key:
        raise bad_input(f"`{argument}` is not a global id", argument=argument)
    return type_name, key


MAX_DB_ID = 2**63 - 1  # BIGINT; a larger number is an overflow error in the driver, not a miss


def db_int(text: str) -> int | None:
    """A database id from its decimal text, or None: ASCII digits only ("²".isdigit() is
    True but int() refuses it) and within BIGINT."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if number <= MAX_DB_ID else None


def int_id(value: str, type_name: str, argument: str = "id") -> int:
    """A database id from a global id of the given type (a bare number is accepted too)."""
    if value.isdigit():
        number = db_int(value)
    else:
        kind, key = parse_global_id(value, argument)
        number = db_int(key) if kind == type_name else None
    if number is None:
        raise bad_input(f"`{argument}` is not the id of a {type_name}", argument=argument)
    return number


def actor_of(info: Info[Context, Any]) -> Actor:
    ctx = info.context
    return Actor(
        name=ctx.principal.actor,
        api_key_id=ctx.principal.api_key_id,
        request_id=ctx.request_id,
    )


JSON = strawberry.scalars.JSON


__all__ = [
    "JSON",
    "CooperativeKind",
    "JobKind",
    "JobPhase",
    "JobStatus",
    "Node",
    "OfficerRole",
    "OutletStatus",
    "OutletType",
    "ProposalStatus",
    "RegionKind",
    "RegionLevel",
    "Scheme",
    "Stage",
    "actor_of",
    "global_id",
    "int_id",
    "parse_global_id",
]
