"""``viewer``: who the caller is, as the API sees it (role, scope, key, limits).

Public: an anonymous caller learns that it is anonymous and its address's rate limit. A client
(the ops console, a partner's script) asks once and shows what the role may do; nothing here
is a secret the caller does not already hold.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from api.auth import rate_limit_of
from api.context import Context
from api.guards import settings_of


@strawberry.enum(
    description="The caller's role: ANONYMOUS without a key; each role includes the ones before."
)
class ViewerRole(Enum):
    ANONYMOUS = "anonymous"
    PARTNER = "partner"
    OPERATIONS = "operations"
    ADMIN = "admin"


@strawberry.type(description="The caller's rate limit, counted with this request.")
class RateLimitStatus:
    limit: int = strawberry.field(description="Requests allowed per period.")
    period_seconds: float = strawberry.field(description="The period, in seconds.")
    remaining: int = strawberry.field(
        description="Requests left right now (the limit refills evenly over the period)."
    )


@strawberry.type(description="Who is calling, and what the API will let them do.")
class Viewer:
    role: ViewerRole = strawberry.field(description="What the caller may do.")
    key_name: str | None = strawberry.field(description="The key's name; null without a key.")
    key_prefix: str | None = strawberry.field(
        description="The visible start of the key's token (kdp_<prefix>_); null without a key."
    )
    province_code: str | None = strawberry.field(
        description="A partner key's province; null for the whole country."
    )
    expires_at: datetime | None = strawberry.field(
        description="When the key stops working; null if never (or without a key)."
    )
    rate_limit: RateLimitStatus | None = strawberry.field(
        description="The rate limit of this key (or, without one, of the client's address);"
        " null when rate limits are switched off or the request was not counted (websockets)."
    )
    query_cost_budget: int = strawberry.field(
        description="The largest estimated cost one query of this role may have."
    )


@strawberry.type
class ViewerQuery:
    @strawberry.field(description="Who is calling: role, scope, key, expiry and limits.")
    def viewer(self, info: Info[Context, Any]) -> Viewer:
        ctx = info.context
        principal = ctx.principal
        counted = rate_limit_of(ctx.request.scope)
        rate_limit = None
        if counted is not None:
            rate, decision = counted
            rate_limit = RateLimitStatus(
                limit=rate.count, period_seconds=rate.period, remaining=decision.remaining
            )
        settings = settings_of(ctx)
        return Viewer(
            role=ViewerRole(principal.role.value),
            key_name=principal.name if principal.api_key_id is not None else None,
            key_prefix=principal.key_prefix,
            province_code=principal.province_code,
            expires_at=principal.expires_at,
            rate_limit=rate_limit,
            query_cost_budget=getattr(settings, f"query_cost_{principal.role.value}"),
        )


__all__ = ["Viewer", "ViewerQuery", "ViewerRole"]
