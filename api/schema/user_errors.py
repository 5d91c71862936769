"""The one place a service's refusal becomes what a GraphQL client reads.

Services refuse with :class:`~shared.errors.ServiceError`, naming the field the service's way
(snake_case, an index for a list item: ``village_codes[0]``). Here that field becomes the
GraphQL name (``villageCodes[0]``) and the refusal becomes:

* a :class:`UserError` in the payload's ``userErrors``, for every mutation whose payload has
  them (data writes, job starts): nothing was written then;
* a BAD_USER_INPUT (or NOT_FOUND) error naming the argument, for the API-key mutations, whose
  published result types carry no ``userErrors``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from api.context import Context
from api.errors import bad_input, not_found
from api.schema.common import actor_of
from shared.audit import Actor
from shared.errors import ErrorCode, NotFound, ServiceError

T = TypeVar("T")

strawberry.enum(
    ErrorCode,
    name="UserErrorCode",
    description="INVALID value, NOT_FOUND reference, CONFLICT with data, STALE_VERSION.",
)


@strawberry.type(description="A refused change: which input field, why, and a stable code.")
class UserError:
    code: ErrorCode = strawberry.field(description="Stable code to match on.")
    field: str | None = strawberry.field(description="The input field at fault (camelCase).")
    message: str = strawberry.field(description="What is wrong, for people.")


def graphql_field(field: str | None, aliases: Mapping[str, str] | None = None) -> str | None:
    """A service's field name as the GraphQL input names it: ``village_codes[0]`` is
    ``villageCodes[0]``, ``officers[0].term_end`` is ``officers[0].termEnd``; ``aliases``
    name the fields a service calls otherwise."""
    if field is None:
        return None
    name, bracket, rest = field.partition("[")

    def camel(text: str) -> str:
        return re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), text)

    # ``officers[0].term_end`` is ``officers[0].termEnd``: the item's own field too.
    return ((aliases or {}).get(name) or camel(name)) + bracket + camel(rest)


def user_error(refusal: ServiceError) -> UserError:
    return UserError(code=refusal.code, field=graphql_field(refusal.field), message=refusal.message)


def argument_error(
    refusal: ServiceError, argument: str, aliases: Mapping[str, str] | None = None
) -> GraphQLError:
    """The refusal as an error of the request, naming ``argument.<field>``."""
    if isinstance(refusal, NotFound):
        return not_found(refusal.message)
    return bad_input(str(refusal), argument=f"{argument}.{graphql_field(refusal.field, aliases)}")


class Refused(Exception):
    """A write was refused: these user errors answer it, and nothing was written."""

    def __init__(self, errors: list[UserError]) -> None:
        super().__init__(errors)
        self.errors = errors


async def write(info: Info[Context, Any], work: Callable[[Session, Actor], T]) -> T:
    """Run ``work`` for the caller in one transaction in a worker thread (the change, its audit
    row and the data-version bump commit together); a refusal raises :class:`Refused`."""
    db = info.context.db
    actor = actor_of(info)

    def run() -> T:
        try:
            with db.transaction() as session:
                return work(session, actor)
        except ServiceError as exc:
            raise Refused([user_error(exc)]) from exc
        except IntegrityError as exc:
            # A concurrent write took the village or identifier between check and insert.
            message = str(exc.orig).splitlines()[0] if exc.orig else "conflicting data"
            raise Refused(
                [UserError(code=ErrorCode.CONFLICT, field=None, message=message)]
            ) from exc

    return await run_in_threadpool(run)


__all__ = [
    "Refused",
    "UserError",
    "argument_error",
    "graphql_field",
    "user_error",
    "write",
]
