"""Limits on what one request may ask for, checked before anything runs.

Depth stops cyclic drill-downs (region -> children -> parent -> ...), aliases stop one query
asking for the same expensive field hundreds of times, tokens bound the parser's work: each
refusal is a GRAPHQL_VALIDATION_FAILED error saying which limit was hit. Every role has a
budget for a query's estimated cost (QUERY_TOO_COSTLY past it), and introspection can be
switched off. Page sizes are capped in :mod:`api.pagination`; body sizes in
:mod:`api.body_limit`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_list_type,
)
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from api.access_log import graphql_record
from api.context import ANONYMOUS
from shared.config import Settings, get_settings

# The deepest legitimate query (a region's children's children's coverage through
# connections, or a cooperative page with villages and their ancestors) is about 9 levels.
MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
# A list field without a page-size argument is assumed to hold this many items.
LIST_ESTIMATE = 10
# A paginated field whose page size is not given is assumed to return this many.
PAGE_ESTIMATE = 50
PAGE_SIZE_ARGUMENTS = ("first", "last", "limit")


# Distinct query texts whose parse and validation are kept: dashboards send the same few
# queries over and over, and parsing plus validating them was most of a request's cost
# (about 20 ms of 25 for a cooperative profile). Bounded, so unique texts cannot grow memory.
CACHED_DOCUMENTS = 1024

# The rules are made once: Strawberry's limiter extensions make new rule classes per request,
# which would make every validation a cache miss.
_LIMIT_RULES: list[type[ASTValidationRule]] = [
    depth_rule(MAX_DEPTH, None, None),
    alias_rule(MAX_ALIASES),
]


def guard_extensions() -> list[type[SchemaExtension] | Callable[[], SchemaExtension]]:
    """The extensions, in order (Strawberry makes one of each per operation). The cost budget
    comes after ``ValidationCache``, so the cached answer is known when it is checked."""
    return [
        partial(MaxTokensLimiter, max_token_count=MAX_TOKENS),
        partial(AddValidationRules, _LIMIT_RULES),
        partial(ParserCache, maxsize=CACHED_DOCUMENTS),
        partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
        IntrospectionSwitch,
        CostBudget,
    ]


def settings_of(context: Any) -> Settings:
    """The settings of the app serving this request (tests build apps with their own)."""
    request = getattr(context, "request", None)
    app = request.scope.get("app") if request is not None else None
    settings = getattr(getattr(app, "state", None), "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


class IntrospectionSwitch(SchemaExtension):
    """Refuse introspection when the settings switch it off."""

    def on_operation(self) -> Iterator[None]:
        if not settings_of(self.execution_context.context).introspection:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class CostBudget(SchemaExtension):
    """Refuse an operation whose estimated cost is over the caller's role's budget, before any
    resolver runs; the estimate goes into the answer's ``extensions.cost``.

    Checked beside validation, not as a validation rule: a rule would depend on the request's
    variables and role, so validation results could never be cached, and validating was most
    of a request's cost.
    """

    cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        errors = execution.pre_execution_errors
        document = execution.graphql_document
        if not errors and document is not None:
            context = execution.context
            settings = settings_of(context)
            role = getattr(context, "principal", ANONYMOUS).role
            found = operation_cost(
                execution.schema._schema,
                document,
                execution.operation_name,
                execution.variables or {},
                settings.max_page_size,
            )
            if found is not None:
                self.cost = found[0]
                request = getattr(context, "request", None)
                if request is not None:  # for the access line (api.access_log)
                    graphql_record(request.scope)["cost"] = self.cost
                budget = getattr(settings, f"query_cost_{role.value}")
                refusal = over_budget(*found, budget, role.value)
                if refusal is not None:
                    # Set before validation runs (or after the cache answered): the operation
                    # is refused without running.
                    execution.pre_execution_errors = [*(errors or []), refusal]
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}


# --- estimating a query's cost --------------------------------------------------------------
#
# The cost of a query is an upper bound of the objects (nodes) its answer can hold: every
# object field counts one per object it can return; scalars and enums are part of their
# object and count nothing. A list counts as many objects as it can hold: its page size
# (``first``/``last``/``limit``, at most the server's maximum), or the real bound of the field
# where there is one (38 provinces; a region's children at most the largest number of
# children at that level in the official list), or ``LIST_ESTIMATE`` where there is none.

# Most regions under one parent, per level of the parent, in the 2025 edition of the official
# list (tests/access/test_cost.py recomputes them from the bundled list: refresh them with
# each new edition). The Region interface may be any level: the largest of them.
PROVINCES = 38
CHILDREN_BOUND = {"Province": 38, "Regency": 51, "District": 108, "Village": 0}
CHILDREN_BOUND["Region"] = max(CHILDREN_BOUND.values())
# List fields with a bound of their own, by (type, field).
LIST_BOUND = {("Query", "provinces"): PROVINCES}
# Fields every region type has whose size is fixed by the levels: at most three above.
FIELD_BOUND = {"ancestors": 3}


def _page_size(
    node: FieldNode, field_args: dict[str, Any], variables: dict[str, Any]
) -> int | None:
    for argument in node.arguments or ():
        if argument.name.value not in PAGE_SIZE_ARGUMENTS:
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int):
                return given
    for name in PAGE_SIZE_ARGUMENTS:
        if name in field_args:
            default = field_args[name].default_value
            return default if isinstance(default, int) else PAGE_ESTIMATE
    return None


def _bound(parent: GraphQLNamedType, name: str) -> int | None:
    if name == "children":
        return CHILDREN_BOUND.get(parent.name)
    return LIST_BOUND.get((parent.name, name), FIELD_BOUND.get(name))


class _CostWalker:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        max_page: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.max_page = max_page
        self._spreading: set[str] = set()

    def selection_set(
        self, parent: GraphQLNamedType | None, selections: SelectionSetNode, page: int = 1
    ) -> int:
        """The cost of a selection; ``page`` is the page size of the connection whose
        selection this is (its ``edges`` hold that many)."""
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(target, selection.selection_set, page)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A fragment cycle is invalid GraphQL (another rule reports it): stop here.
                if fragment is None or name in self._spreading:
                    continue
                self._spreading.add(name)
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(target, fragment.selection_set, page)
                self._spreading.discard(name)
        return total

    def field(self, parent: GraphQLNamedType | None, node: FieldNode, page: int = 1) -> int:
        name = node.name.value
        if name.startswith("__"):
            # Introspection is bounded by the schema's size and has its own switch.
            return 0 if name == "__typename" else 1
        if node.selection_set is None:
            return 0  # a scalar or an enum: part of its object
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1  # unknown field: FieldsOnCorrectTypeRule reports it
        target = get_named_type(definition.type)
        bound = _bound(parent, name)
        size = _page_size(node, definition.args, self.variables)
        if size is None:
            listed = is_list_type(get_nullable_type(definition.type))
            size = (LIST_ESTIMATE if bound is None else bound) if listed else 1
        if name == "edges" and parent.name.endswith("Connection"):
            size = page  # the connection's page size
        size = max(0, min(size, self.max_page, size if bound is None else bound))
        if target.name.endswith("Connection"):
            # One connection object; its edges hold the page.
            return 1 + self.selection_set(target, node.selection_set, size)
        return size * (1 + self.selection_set(target, node.selection_set))


def estimate_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    max_page: int,
) -> int:
    """The most objects the operation's answer can hold (see above)."""
    root = schema.get_root_type(operation.operation)
    return _CostWalker(schema, fragments, variables, max_page).selection_set(
        root, operation.selection_set
    )


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    max_page: int,
) -> tuple[int, OperationDefinitionNode] | None:
    """The cost of the operation the request runs, with its node; None when there is none
    (GraphQL reports that)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for node in document.definitions:
        if not isinstance(node, OperationDefinitionNode):
            continue
        if operation_name is not None and (node.name is None or node.name.value != operation_name):
            continue
        return estimate_cost(schema, node, fragments, variables, max_page), node
    return None


def over_budget(
    cost: int, node: OperationDefinitionNode, budget: int, role: str
) -> GraphQLError | None:
    """The refusal of an operation whose cost exceeds ``budget``, or None."""
    if cost <= budget:
        return None
    return GraphQLError(
        f"This query's estimated cost ({cost}) is over the budget of the"
        f" {role} role ({budget}). Ask for smaller pages or fewer fields.",
        node,
        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
    )


def cost_error(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: dict[str, Any],
    budget: int,
    role: str,
    max_page: int,
) -> GraphQLError | None:
    """The refusal of an operation whose estimated cost exceeds ``budget``, or None."""
    found = operation_cost(schema, document, operation_name, variables, max_page)
    return None if found is None else over_budget(*found, budget, role)
