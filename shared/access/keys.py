"""API keys: generation, hashing, checking, revocation.

A token looks like ``kdp_<prefix>_<secret>``. The prefix (12 characters, visible in listings
and logs) finds the row; the secret is 256 random bits. Only SHA-256 of the whole token is
stored. A slow password hash (bcrypt, argon2) would buy nothing against a 256-bit secret, which
cannot be guessed, and would cost milliseconds on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.errors import InvalidInput, NotFound
from shared.models import ApiKey, Region, RegionLevel, Role

TOKEN_SCHEME = "kdp"  # noqa: S105  (a public marker, not a secret)
PREFIX_LENGTH = 12
SECRET_BYTES = 32
# last_used_at is informative, not a security control: one write per key per minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_TOKEN_RE = re.compile(rf"^{TOKEN_SCHEME}_([a-z2-7]{{{PREFIX_LENGTH}}})_([A-Za-z0-9_-]{{43}})$")
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([hdwy])\s*$")
_DURATION_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
_PROVINCE_RE = re.compile(r"^\d{2}$")


class KeyInputError(InvalidInput):
    """Bad input for a key change. Its fields are named after the CLI's options (``province``,
    ``expires``), which the API maps to its own names."""


class KeyNotFound(NotFound):
    """No key with that id or prefix."""


class InvalidToken(Exception):
    """A presented token does not authenticate: malformed, unknown, expired or revoked."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class IssuedKey:
    """A new key and its token. The token exists only here: it is never stored or shown again."""

    key: ApiKey
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def generate_token() -> tuple[str, str]:
    """A new ``(prefix, token)``."""
    prefix = "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(SECRET_BYTES)  # 43 characters
    return prefix, f"{TOKEN_SCHEME}_{prefix}_{secret}"


def token_prefix(token: str) -> str:
    """The lookup prefix of a well-formed token; InvalidToken otherwise."""
    match = _TOKEN_RE.match(token)
    if match is None:
        raise InvalidToken("malformed API key")
    return match.group(1)


def check_token(key: ApiKey | None, token: str, now: datetime | None = None) -> ApiKey:
    """Return the key if ``token`` is its token and it is usable now; InvalidToken otherwise."""
    now = now or datetime.now(UTC)
    # Compare even without a row so an unknown prefix costs the same as a wrong secret.
    stored = key.secret_hash if key is not None else "0" * 64
    matches = hmac.compare_digest(hash_token(token), stored)
    if key is None or not matches:
        raise InvalidToken("invalid API key")
    if key.revoked_at is not None:
        raise InvalidToken("API key revoked")
    if key.expires_at is not None and key.expires_at <= now:
        raise InvalidToken("API key expired")
    return key


def authenticate(session: Session, token: str, now: datetime | None = None) -> ApiKey:
    """Find and check the key of a token (sync; the API does the same lookup asynchronously)."""
    prefix = token_prefix(token)
    key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    return check_token(key, token, now)


def touch_statement(key_id: int, now: datetime) -> Any:
    """UPDATE last_used_at unless it was set within the resolution (cheap no-op then)."""
    return (
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION),
        )
        .values(last_used_at=now)
    )


def parse_expiry(value: str, now: datetime | None = None) -> datetime:
    """``90d``, ``12h``, ``2w``, ``1y`` from now, or an ISO date/datetime (UTC if naive)."""
    now = now or datetime.now(UTC)
    match = _DURATION_RE.match(value)
    if match:
        count, unit = int(match.group(1)), match.group(2)
        if count <= 0:
            raise KeyInputError("expires", f"{value!r} is not in the future")
        delta = timedelta(days=365 * count) if unit == "y" else _DURATION_UNITS[unit] * count
        return now + delta
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise KeyInputError(
            "expires", f"{value!r} is neither a duration like 90d/12h/2w/1y nor an ISO date"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def describe(key: ApiKey) -> dict[str, Any]:
    """A key as the audit log records it (never the hash)."""
    return {
        "prefix": key.prefix,
        "name": key.name,
        "role": key.role.value,
        "province_code": key.province_code,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }


def _check_province(session: Session, code: str) -> None:
    if not _PROVINCE_RE.match(code):
        raise KeyInputError("province", f"{code!r} is not a two-digit province code like 64")
    provinces = select(Region.code).where(Region.level == RegionLevel.province)
    known = set(session.execute(provinces).scalars())
    # Before the first import of the village list there is nothing to check against.
    if known and code not in known:
        raise KeyInputError("province", f"no province with code {code}")


def create_key(
    session: Session,
    actor: audit.Actor,
    *,
    name: str,
    role: Role,
    expires_at: datetime | None = None,
    province_code: str | None = None,
    now: datetime | None = None,
) -> IssuedKey:
    """Issue a key and record it in the audit log (in the caller's transaction)."""
    now = now or datetime.now(UTC)
    name = name.strip()
    if not name:
        raise KeyInputError("name", "must not be empty")
    if len(name) > 200:
        raise KeyInputError("name", "is longer than 200 characters")
    if role == Role.anonymous:
        raise KeyInputError("role", "anonymous needs no key; choose partner, operations or admin")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= now:
            raise KeyInputError("expires", f"{expires_at.isoformat()} is not in the future")
    if province_code is not None:
        if role != Role.partner:
            raise KeyInputError(
                "province", "only partner keys are limited to a province; leave it out"
            )
        _check_province(session, province_code)
    prefix, token = generate_token()
    key = ApiKey(
        prefix=prefix,
        secret_hash=hash_token(token),
        name=name,
        role=role,
        province_code=province_code,
        expires_at=expires_at,
        created_at=now,
        created_by=actor.name,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor,
        "apikey.create",
        target_type="api_key",
        target_id=key.id,
        after=describe(key),
    )
    return IssuedKey(key=key, token=token)


def find_key(session: Session, ref: int | str) -> ApiKey:
    """A key by id or by prefix (with or without the ``kdp_`` scheme)."""
    if isinstance(ref, int) or ref.isdigit():
        key = session.get(ApiKey, int(ref))
    else:
        prefix = ref.removeprefix(f"{TOKEN_SCHEME}_").split("_", 1)[0]
        key = session.execute(select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None:
        raise KeyNotFound(None, f"no API key {ref}")
    return key


def revoke_key(
    session: Session, actor: audit.Actor, ref: int | str, now: datetime | None = None
) -> ApiKey:
    """Revoke a key; it stops working on the next request. Revoking twice changes nothing."""
    key = find_key(session, ref)
    if key.revoked_at is not None:
        return key
    before = describe(key)
    key.revoked_at = now or datetime.now(UTC)
    session.flush()
    audit.record(
        session,
        actor,
        "apikey.revoke",
        target_type="api_key",
        target_id=key.id,
        before=before,
        after=describe(key),
    )
    return key


def list_keys(session: Session, *, include_revoked: bool = False) -> list[ApiKey]:
    query = select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.execute(query).scalars())
