"""Who may resolve a field: Strawberry permission classes, one per role threshold.

Apply them on fields and mutations (``permission_classes=[IsPartner]``), never as checks
inside resolvers. A denial answers UNAUTHENTICATED when no key was given and FORBIDDEN when
the key's role is too low, and the field resolves to nothing.
"""

from __future__ import annotations

from functools import partial
from typing import Any, ClassVar

import strawberry
from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.context import Context
from shared.models import Role


class RoleAtLeast(BasePermission):
    """Base: allow principals whose role ranks at least ``role``."""

    role: ClassVar[Role] = Role.anonymous
    message = "Not allowed"

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal.at_least(self.role):
            return True
        if principal.api_key_id is None:
            raise GraphQLError(
                f"This needs an API key with the {self.role.value} role or higher.",
                extensions={"code": "UNAUTHENTICATED"},
            )
        raise GraphQLError(
            f"This key's role ({principal.role.value}) may not do this;"
            f" it needs {self.role.value} or higher.",
            extensions={"code": "FORBIDDEN"},
        )


def _at_least(role: Role) -> type[RoleAtLeast]:
    return type(f"Is{role.value.title()}", (RoleAtLeast,), {"role": role})


IsPartner = _at_least(Role.partner)


class InPartnerScope(RoleAtLeast):
    """A cooperative's protected profile: partners and above, a scoped partner key only for
    cooperatives its province scope includes (the row's ``in_scope``, decided by the query
    that read it). A key never sees less than no key: outside its scope a partner reads what
    an anonymous caller reads, and is refused these fields with the anonymous caller's code."""

    role = Role.partner

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)  # raises below a partner
        if getattr(source, "in_scope", True):
            return True
        raise outside_scope(info, "this cooperative")


def outside_scope(info: Info[Context, Any], what: str) -> GraphQLError:
    """The refusal of a scoped partner key outside its province: the anonymous caller's code
    (there the key reads what anyone may read), and a message saying why."""
    return GraphQLError(
        f"This key's province scope ({info.context.principal.province_code}) does not include"
        f" {what}: outside it the key reads what anyone may read, and this needs an API key"
        " with the partner role covering it.",
        extensions={"code": "UNAUTHENTICATED"},
    )


IsOperations = _at_least(Role.operations)
IsAdmin = _at_least(Role.admin)


# Mutations with their permission: ``@admin_mutation(description=...)``.
admin_mutation = partial(strawberry.mutation, permission_classes=[IsAdmin])
operations_mutation = partial(strawberry.mutation, permission_classes=[IsOperations])
