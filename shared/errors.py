"""Refusals a caller can act on: each names the field at fault and why.

Services raise them with the field as the service knows it (snake_case, with an index for a
list item: ``village_codes[0]``); each edge translates: the API into its own names
(``api/schema/user_errors.py``), the CLI into its options.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # Upper-case names: they are the GraphQL enum values clients match on.
    INVALID = "INVALID"  # the value is malformed or not allowed
    NOT_FOUND = "NOT_FOUND"  # what the field refers to does not exist
    CONFLICT = "CONFLICT"  # the change clashes with data already there
    STALE_VERSION = "STALE_VERSION"  # someone changed the object since the caller read it


class ServiceError(Exception):
    """A change refused for a reason the caller can fix."""

    code = ErrorCode.INVALID

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


class InvalidInput(ServiceError):
    code = ErrorCode.INVALID


class NotFound(ServiceError):
    code = ErrorCode.NOT_FOUND


class Conflict(ServiceError):
    code = ErrorCode.CONFLICT


class StaleVersion(ServiceError):
    code = ErrorCode.STALE_VERSION
