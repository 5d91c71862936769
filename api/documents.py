"""Parsed and validated documents, kept by query text: what the lean path (:mod:`api.lean`)
knows of a query before it runs it.

A document is parsed (at most ``MAX_TOKENS`` tokens) and validated once, with the same rules
as Strawberry's path: graphql-core's, the depth and alias limits of :mod:`api.guards`,
Strawberry's own two, and no introspection when the settings switch it off. What depends only
on the document is decided then too: which operation runs, whether its answer is a function of
the data versions (cacheable), and its cost when no page size comes from a variable. The cache
is bounded (least recently used out first), so unique query texts cannot grow memory.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    specified_rules,
    validate,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

from api.guards import _LIMIT_RULES, CACHED_DOCUMENTS, MAX_TOKENS, operation_cost
from api.plans import Plan, compile_plan
from api.schema import schema
from shared.config import Settings

# Root fields whose whole answer is a function of the versions in data_state (every change
# to regions, cooperatives and proposals bumps the data version; recalculations bump the
# coverage version). Jobs, keys, the audit log and `viewer` are not: queries touching them
# run afresh every time.
CACHEABLE_ROOT_FIELDS = frozenset(
    {
        "__typename",
        "nationalCoverage",
        "provinces",
        "region",
        "regions",
        "coverageHistory",
        "editions",
        "retiredVillagesWithCooperatives",
    }
)
# Longest query text kept: longer ones are parsed every time (MAX_TOKENS bounds the work).
MAX_CACHED_QUERY = 20_000


def query_hash(query: str) -> str:
    """The SHA-256 of a query text, hex: the key of persisted queries and cached answers."""
    return hashlib.sha256(query.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A query text as the lean path uses it. ``errors`` when it does not parse or validate;
    ``operation`` None when the operation to run cannot be told (the view answers that)."""

    query_hash: str
    document: DocumentNode | None
    errors: tuple[GraphQLError, ...] = ()
    operation: OperationDefinitionNode | None = None
    cacheable: bool = False
    # Only __typename at the root: the answer depends on nothing at all.
    static: bool = False
    # The cost when no page size comes from a variable (then it is the same every time).
    fixed_cost: int | None = None
    # A query PostgreSQL answers whole (api.plans), when plans are on.
    plan: Plan | None = None

    @property
    def is_query(self) -> bool:
        return self.operation is not None and self.operation.operation == OperationType.QUERY

    def cost(self, variables: dict[str, Any], max_page: int) -> int:
        if self.fixed_cost is not None:
            return self.fixed_cost
        assert self.document is not None
        assert self.operation is not None
        name = self.operation.name.value if self.operation.name else None
        found = operation_cost(schema._schema, self.document, name, variables, max_page)
        return 0 if found is None else found[0]


def select_operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request with this name runs, or None when it cannot be told."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name and o.name.value == name]
    return operations[0] if len(operations) == 1 else None


def _cacheable(operation: OperationDefinitionNode) -> bool:
    if operation.operation != OperationType.QUERY or operation.directives:
        return False
    return all(
        isinstance(s, FieldNode) and s.name.value in CACHEABLE_ROOT_FIELDS and not s.directives
        for s in operation.selection_set.selections
    )


class DocumentCache:
    """Prepared documents by (query text, operation name), least recently used out first."""

    def __init__(self, settings: Settings, size: int = CACHED_DOCUMENTS) -> None:
        self.settings = settings
        self.size = size
        self.entries: OrderedDict[tuple[str, str | None], Prepared] = OrderedDict()
        rules: list[type[ASTValidationRule]] = [
            *specified_rules,
            *_LIMIT_RULES,
            MaybeNullValidationRule,
            OneOfInputValidationRule,
        ]
        if not settings.introspection:
            rules.append(NoSchemaIntrospectionCustomRule)
        self.rules = tuple(rules)
        self.plans = settings.compiled_plans and not settings.is_sqlite

    def get(self, query: str, operation_name: str | None) -> Prepared:
        key = (query, operation_name)
        found = self.entries.get(key)
        if found is not None:
            self.entries.move_to_end(key)
            return found
        found = self.prepare(query, operation_name)
        if len(query) <= MAX_CACHED_QUERY:
            self.entries[key] = found
            if len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return found

    def prepare(self, query: str, operation_name: str | None) -> Prepared:
        digest = query_hash(query)
        try:
            document = parse(query, max_tokens=MAX_TOKENS)
        except GraphQLError as error:
            return Prepared(digest, None, (error,))
        errors = validate(schema._schema, document, self.rules)
        if errors:
            return Prepared(digest, document, tuple(errors))
        operation = select_operation(document, operation_name)
        if operation is None:
            return Prepared(digest, document)
        fixed = None
        if not operation.variable_definitions:
            name = operation.name.value if operation.name else None
            found = operation_cost(schema._schema, document, name, {}, self.settings.max_page_size)
            fixed = 0 if found is None else found[0]
        static = all(
            isinstance(s, FieldNode) and s.name.value == "__typename" and not s.directives
            for s in operation.selection_set.selections
        )
        cacheable = _cacheable(operation)
        # Cached answers are served from memory: plans are for the others.
        planned = self.plans and not cacheable and operation.operation == OperationType.QUERY
        return Prepared(
            digest,
            document,
            operation=operation,
            cacheable=cacheable,
            static=static,
            fixed_cost=fixed,
            plan=compile_plan(schema._schema, document, operation) if planned else None,
        )
