"""Cheaper resolvers for the fields that need none of Strawberry's per-field machinery.

Strawberry gives every field a resolver wrapper: a plain attribute goes through
``_get_basic_result`` -> ``StrawberryField.get_result`` -> ``getattr``; a method resolver
through ``extension_resolver``, which converts (absent) arguments, builds an ``Info``,
chains (absent) field extensions with ``functools.reduce`` and, for an async method, wraps
the call in one more coroutine (``await_maybe``). On a page of 100 cooperatives with their
villages that is about 800 fields a request. After the schema is built, :func:`lighten`
swaps in a resolver doing only what those wrappers do for such a field:

* a plain field (no resolver, no permission classes, no extensions): ``getattr`` of its
  Python name on the source, as Strawberry's default resolver does;
* a method resolver taking only ``self`` and optionally ``info``, with no GraphQL arguments,
  no permission classes and no extensions: the method called on the source with the same
  ``Info`` Strawberry would build; an async method's coroutine is returned as is, for
  graphql-core to await.

Fields with arguments, permission classes (their ``PermissionExtension``), other field
extensions or exception handlers keep Strawberry's resolver, so what they do is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType
from strawberry import Schema
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Resolver = Callable[..., Any]


def lighten(schema: Schema) -> int:
    """Give the fields that need nothing more a direct resolver; the number changed."""
    changed = 0
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        if graphql_type is schema._schema.subscription_type:
            continue
        for graphql_field in graphql_type.fields.values():
            field = graphql_field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(field, StrawberryField) or field.extensions:
                continue
            if schema.schema_converter._get_field_exception_handlers(field):
                continue
            resolver = _direct(field, schema)
            if resolver is None:
                continue
            resolver._is_default = getattr(graphql_field.resolve, "_is_default", False)  # type: ignore[attr-defined]
            graphql_field.resolve = resolver
            changed += 1
    return changed


def _direct(field: StrawberryField, schema: Schema) -> Resolver | None:
    base = field.base_resolver
    if base is None:
        if schema.config.default_resolver is not getattr:
            return None
        return _attribute(field.python_name)
    if field.arguments or base.arguments or base.self_parameter is None:
        return None
    if base.root_parameter is not None or base.parent_parameter is not None:
        return None
    method = base.wrapped_func
    if isinstance(method, staticmethod | classmethod):
        return None
    if base.info_parameter is None:
        return _method(method)
    return _method_with_info(method, base.info_parameter.name, field, schema.config.info_class)


def _attribute(name: str) -> Resolver:
    def resolve(source: Any, info: Any) -> Any:
        return getattr(source, name)

    return resolve


def _method(method: Callable[[Any], Any]) -> Resolver:
    def resolve(source: Any, info: Any) -> Any:
        return method(source)

    return resolve


def _method_with_info(
    method: Callable[..., Any], name: str, field: StrawberryField, info_class: type[Any]
) -> Resolver:
    def resolve(source: Any, info: Any) -> Any:
        return method(source, **{name: info_class(_raw_info=info, _field=field)})

    return resolve
