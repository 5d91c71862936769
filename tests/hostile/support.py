"""Helpers of the hostile-input tests: keys, raw requests, and what a clear refusal is."""

from __future__ import annotations

from typing import Any

import httpx

from shared.access import keys
from shared.audit import Actor
from shared.models import Role

# Codes a client can act on (api/errors.py, api/limits.py, api/auth.py); never the masked one.
CLIENT_CODES = {
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COSTLY",
    "PAYLOAD_TOO_LARGE",
    "RATE_LIMITED",
    "BAD_REQUEST",
}


def token(db: Any, role: Role = Role.operations) -> str:
    with db.transaction() as session:
        issued = keys.create_key(session, Actor(name="hostile-tests"), name=role.value, role=role)
        return issued.token


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def error_codes(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return []
    return [str((e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]


def assert_client_error(response: httpx.Response, *codes: str) -> dict[str, Any]:
    """A 4xx, or a GraphQL answer whose errors all carry a client code and a message; never a
    5xx nor a masked INTERNAL_SERVER_ERROR. ``codes``: the code(s) the first error may have."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    try:
        body = response.json()
    except ValueError:
        # Starlette/Strawberry plain-text refusals (e.g. 405, 415) are still client errors.
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        return {}
    found = error_codes(body)
    assert found, (response.status_code, body)
    assert "INTERNAL_SERVER_ERROR" not in found, body
    for error in body["errors"]:
        assert error.get("message"), body
    if codes:
        assert found[0] in codes, (found, body)
    return dict(body)
