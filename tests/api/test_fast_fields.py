"""Which fields api.schema.fast gives a direct resolver, and which keep Strawberry's."""

from __future__ import annotations

from api.schema.root import schema


def _resolver(type_name: str, field: str) -> object:
    graphql_type = schema._schema.type_map[type_name]
    return graphql_type.fields[field].resolve  # type: ignore[attr-defined]


def _direct(type_name: str, field: str) -> bool:
    return getattr(_resolver(type_name, field), "__module__", "") == "api.schema.fast"


def test_plain_fields_and_argument_free_methods_resolve_directly() -> None:
    assert _direct("Cooperative", "name")
    assert _direct("Cooperative", "id")
    assert _direct("Village", "code")
    assert _direct("Cooperative", "villages")  # a method taking self and info only
    assert _direct("Cooperative", "outletTypes")  # an async one: its coroutine as is


def test_permission_argument_and_subscription_fields_keep_strawberrys_resolver() -> None:
    assert not _direct("Cooperative", "outlets")  # InPartnerScope
    assert not _direct("Cooperative", "legalIdentifiers")  # InPartnerScope
    assert not _direct("Query", "cooperatives")  # arguments
    assert not _direct("Query", "importJobs")  # IsOperations and arguments
    subscription = schema._schema.subscription_type
    assert subscription is not None
    assert not any(
        getattr(f.resolve, "__module__", "") == "api.schema.fast"
        for f in subscription.fields.values()
    )
