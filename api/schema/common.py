"""Pieces every part of the schema uses: enums, the Node interface, global ids, the actor."""

from __future__ import annotations

import base64
import binascii
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from api.context import Context
from api.errors import bad_input
from shared import models
from shared.audit import Actor

# The domain's enums, described for the schema (``strawberry.enum`` marks the class itself,
# so schema modules annotate fields with the enums of ``shared.models`` directly).
_ENUMS: dict[type[Enum], str] = {
    models.RegionLevel: "Level of a region in the official list.",
    models.RegionKind: "kabupaten/kota for a regency, desa/kelurahan for a village.",
    models.CooperativeKind: (
        "KDMP (Koperasi Desa Merah Putih, in a desa) or KKMP (in a kelurahan)."
    ),
    models.Scheme: "How the cooperative was formed: new, developed from one, or revitalised.",
    models.Stage: "Formation stages, in order: deliberation (musdesus) to operational.",
    models.OutletType: "Standard business outlets (gerai).",
    models.OutletStatus: "Whether an outlet operates.",
    models.OfficerRole: "Board (pengurus) and supervisory (pengawas) roles.",
    models.ProposalStatus: (
        "submitted, then approved or rejected; formed once the cooperative exists."
    ),
    models.JobKind: "What a job does.",
    models.ChangeType: "What a change-feed event says happened.",
    models.JobStatus: "Where a job stands.",
    models.JobPhase: "The step a running job is in.",
}
for _enum, _description in _ENUMS.items():
    strawberry.enum(_enum, name=_enum.__name__, description=_description)


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
    "Node",
    "actor_of",
    "db_int",
    "global_id",
    "int_id",
    "parse_global_id",
]


def selects(info: Info[Any, Any], *path: str) -> bool:
    """Whether the field being resolved selects ``path`` below it (through fragments), so its
    resolver can read what the client will ask for in the same statement."""
    level: list[Any] = list(info.selected_fields)
    for name in path:
        found: list[Any] = []
        for field in _fields(level):
            found.extend(field.selections)
        level = [f for f in _fields(found) if f.name == name]
        if not level:
            return False
    return True


def _fields(selections: list[Any]) -> list[Any]:
    """The fields of a selection set, fragments opened."""
    fields: list[Any] = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields.append(selection)
        else:  # a fragment spread or an inline fragment
            fields.extend(_fields(selection.selections))
    return fields
