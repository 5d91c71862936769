"""One record type built from another that holds the same names.

GraphQL types mirror model rows, and value objects mirror job rows: field by field, the same
names. Spelling each field out twice says nothing and lets a new column be forgotten on one
side; :func:`fields_from` reads them by name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import MISSING
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type[Any], tuple[tuple[str, bool], ...]] = {}


def _init_fields(cls: type[Any]) -> tuple[tuple[str, bool], ...]:
    """The dataclass's init fields, each with whether it has a default (computed once)."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(
            (f.name, f.default is not MISSING or f.default_factory is not MISSING)
            for f in dataclasses.fields(cls)
            if f.init
        )
    return found


def fields_from(cls: type[T], source: object, **given: Any) -> T:
    """An instance of the dataclass ``cls`` (a Strawberry type is one): each field is the value
    ``given`` for it, else ``source``'s attribute of that name (a field with a default may be
    missing from ``source``)."""
    values: dict[str, Any] = {}
    for name, has_default in _init_fields(cls):
        if name in given:
            values[name] = given[name]
        elif not has_default or hasattr(source, name):
            values[name] = getattr(source, name)
    return cls(**values)


def values_of(record: object, *omit: str) -> dict[str, Any]:
    """A dataclass's init fields as keyword arguments (a GraphQL input's, for a service),
    without those named in ``omit``."""
    return {
        name: getattr(record, name) for name, _ in _init_fields(type(record)) if name not in omit
    }
