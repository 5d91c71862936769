"""Abuse limits: request-body size (ASGI middleware), query cost budgets and introspection
(a Strawberry schema extension that adds validation rules for each operation).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
from graphql.validation import NoSchemaIntrospectionCustomRule
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from shared.config import Settings, get_settings

# A list field without a page-size argument is assumed to hold this many items.
LIST_ESTIMATE = 10
# A paginated field whose page size is not given is assumed to return this many.
PAGE_ESTIMATE = 50
PAGE_SIZE_ARGUMENTS = ("first", "last", "limit")


def error_body(message: str, code: str, **extensions: Any) -> bytes:
    """A GraphQL-shaped error document, so clients parse every refusal the same way."""
    return json.dumps(
        {"data": None, "errors": [{"message": message, "extensions": {"code": code, **extensions}}]}
    ).encode()


async def send_error(
    send: Send,
    status: int,
    message: str,
    code: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> None:
    body = error_body(message, code, **extensions)
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Answer 413 to request bodies over the limit: ``upload_max_bytes`` for multipart uploads,
    ``request_max_bytes`` for everything else. Counts what is read, so a missing or false
    Content-Length does not get around it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, headers: dict[bytes, bytes]) -> int:
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(b"multipart/form-data"):
            return self.settings.upload_max_bytes
        return self.settings.request_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = self._limit(headers)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if started:
                raise
            await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        await send_error(
            send,
            413,
            f"The request body is larger than the limit of {limit} bytes.",
            "PAYLOAD_TOO_LARGE",
            limit=limit,
        )


# ---------------------------------------------------------------------------------------------
# Query cost


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

    def selection_set(self, parent: GraphQLNamedType | None, selections: SelectionSetNode) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(target, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                # A fragment cycle is invalid GraphQL (another rule reports it): stop here.
                if fragment is None or name in self._spreading:
                    continue
                self._spreading.add(name)
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(target, fragment.selection_set)
                self._spreading.discard(name)
        return total

    def field(self, parent: GraphQLNamedType | None, node: FieldNode) -> int:
        name = node.name.value
        if name == "__typename":
            return 0
        if name.startswith("__"):
            # Introspection is bounded by the schema's size and has its own switch.
            return 1
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1  # unknown field: FieldsOnCorrectTypeRule reports it
        children = 0
        if node.selection_set is not None:
            children = self.selection_set(get_named_type(definition.type), node.selection_set)
        multiplier = _page_size(node, definition.args, self.variables)
        if name == "edges" and parent.name.endswith("Connection"):
            multiplier = 1  # the connection's page size already counted its edges
        if multiplier is None:
            multiplier = LIST_ESTIMATE if is_list_type(get_nullable_type(definition.type)) else 1
        multiplier = max(0, min(multiplier, self.max_page))
        return 1 + multiplier * children


def estimate_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    max_page: int,
) -> int:
    """Fields the operation would resolve at most, roughly: every field costs one, times the
    page size (``first``/``last``/``limit``) or an estimate for lists around it."""
    root = schema.get_root_type(operation.operation)
    return _CostWalker(schema, fragments, variables, max_page).selection_set(
        root, operation.selection_set
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
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    for node in document.definitions:
        if not isinstance(node, OperationDefinitionNode):
            continue
        if operation_name is not None and (node.name is None or node.name.value != operation_name):
            continue
        cost = estimate_cost(schema, node, fragments, variables, max_page)
        if cost > budget:
            return GraphQLError(
                f"This query's estimated cost ({cost}) is over the budget of the"
                f" {role} role ({budget}). Ask for smaller pages or fewer fields.",
                node,
                extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "budget": budget},
            )
    return None


def settings_of(context: Any) -> Settings:
    """The settings of the app serving this request (tests build apps with their own)."""
    request = getattr(context, "request", None)
    app = request.scope.get("app") if request is not None else None
    settings = getattr(getattr(app, "state", None), "settings", None)
    return settings if isinstance(settings, Settings) else get_settings()


class AccessGuard(SchemaExtension):
    """Per operation: switch introspection off when configured, and enforce the caller's role's
    query cost budget, before any resolver.

    The cost is checked beside validation, not as a validation rule: a rule would depend on the
    request's variables and role, so validation results could never be cached, and validating
    was most of a request's cost. List it after ``ValidationCache`` so the cached result is
    known here.
    """

    def on_operation(self) -> Iterator[None]:
        settings = settings_of(self.execution_context.context)
        if not settings.introspection:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield

    def on_validate(self) -> Iterator[None]:
        from api.context import ANONYMOUS

        execution = self.execution_context
        errors = execution.pre_execution_errors
        document = execution.graphql_document
        if not errors and document is not None:
            context = execution.context
            settings = settings_of(context)
            role = getattr(context, "principal", ANONYMOUS).role
            refusal = cost_error(
                execution.schema._schema,
                document,
                execution.operation_name,
                execution.variables or {},
                getattr(settings, f"query_cost_{role.value}"),
                role.value,
                settings.max_page_size,
            )
            if refusal is not None:
                # Set before validation runs (or after the cache answered): the operation
                # is refused without running.
                execution.pre_execution_errors = [*(errors or []), refusal]
        yield
