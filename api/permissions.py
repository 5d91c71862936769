"""Who may resolve a field: Strawberry permission classes, one per role threshold.

Apply them on fields and mutations (``permission_classes=[IsPartner]``), never as checks
inside resolvers. A denial answers UNAUTHENTICATED when no key was given and FORBIDDEN when
the key's role is too low, and the field resolves to nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission
from strawberry.types import Info

from api.context import Context, Principal
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


class IsPartner(RoleAtLeast):
    role = Role.partner


class IsOperations(RoleAtLeast):
    role = Role.operations


class IsAdmin(RoleAtLeast):
    role = Role.admin


# ---------------------------------------------------------------------------------------------
# Province scope. A partner key may be limited to one province: it sees full profiles only of
# cooperatives there, and a profile outside the scope must look exactly like one that does not
# exist (null, no error), so the scope is applied in the query or by a silent permission.


def province_scope(info: Info[Context, Any]) -> str | None:
    """The province a caller's profile reads are limited to; None for the whole country."""
    return info.context.principal.province_code


def in_scope(principal: Principal, province_codes: Iterable[str | None]) -> bool:
    """Whether something in these provinces (a cooperative's villages') is within scope.

    Region codes of any level start with their province's two digits, so village, district
    or regency codes may be passed as they are.
    """
    scope = principal.province_code
    if scope is None:
        return True
    return any(code is not None and code[:2] == scope for code in province_codes)


class PartnerInScope(IsPartner):
    """Partner or higher, and the source object within the key's province.

    The source must expose ``province_codes`` (an iterable of region codes) or
    ``province_code``. Use it with ``PermissionExtension(..., fail_silently=True)`` on a
    nullable field, so that out of scope reads as null, like a record that does not exist::

        @strawberry.field(extensions=[PermissionExtension([PartnerInScope()], fail_silently=True)])
        def profile(self) -> CooperativeProfile | None: ...

    Without a key or with too low a role it still answers UNAUTHENTICATED or FORBIDDEN.
    """

    def has_permission(self, source: Any, info: Info[Context, Any], **kwargs: Any) -> bool:
        super().has_permission(source, info, **kwargs)  # raises when the role is too low
        codes = getattr(source, "province_codes", None)
        if codes is None:
            codes = [getattr(source, "province_code", None)]
        return in_scope(info.context.principal, codes)
