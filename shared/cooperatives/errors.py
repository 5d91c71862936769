"""Errors a caller can act on: each names the field and the reason."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    invalid = "INVALID"  # the value is malformed or not allowed
    not_found = "NOT_FOUND"  # what the field refers to does not exist
    conflict = "CONFLICT"  # the change clashes with data already there
    stale = "STALE_VERSION"  # someone changed the object since the caller read it


class ServiceError(Exception):
    """A change refused for a reason the caller can fix."""

    def __init__(self, code: ErrorCode, field: str | None, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.code = code
        self.field = field
        self.message = message


class InvalidInput(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.invalid, field, message)


class NotFound(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.not_found, field, message)


class Conflict(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.conflict, field, message)


class StaleVersion(ServiceError):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(ErrorCode.stale, field, message)
