"""Errors a caller can act on: each names the field and the reason."""

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

    def __init__(self, code: ErrorCode, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.field = field
        self.message = message


class InvalidInput(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.INVALID, field, message)


class NotFound(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.NOT_FOUND, field, message)


class Conflict(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.CONFLICT, field, message)


class StaleVersion(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.STALE_VERSION, field, message)
