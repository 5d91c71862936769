"""Compiled plans: queries PostgreSQL answers whole, in one statement that builds the JSON.

The general path executes a query field by field (graphql-core, ~5.5 us a field; a page of
100 cooperatives with their villages is ~800 fields) over rows read through the ORM session.
PostGraphile and a hand-written endpoint answer the same questions with one statement whose
result *is* the JSON. A plan does the same for the documents it can: when every field a
query selects is one PostgreSQL can compute from the rows the domain's read gives
(:mod:`shared.cooperatives.queries`: the same statements, filters and counts the resolvers
use), the document is compiled once into a statement template, and a request only binds its
values and passes the text PostgreSQL returns through as the answer's ``data``.

What a plan covers (anything else runs on the general path, answered as before):

* root fields ``cooperative(id)`` and ``cooperatives(filter, first, after)`` in id order,
  filtered by region and by values from short lists (stage, scheme, kind, outlet type,
  mockup, financing readiness; not the name ``search``), any number of them, with aliases
  and ``__typename``;
* on ``Cooperative``: its plain columns (``databaseId``, ``registryId``, ``name``, ``kind``,
  ``scheme``, ``stage``, ``isMockup``, ``version``), ``id`` and ``villages``; on ``Village``:
  ``id``, ``code``, ``name``, ``level``, ``kind``, ``customary``, ``retired``; the connection's
  ``totalCount``, ``pageInfo`` and ``edges { cursor node }``;
* fragments and inline fragments on those types; no directives.

Fields that need the caller (the partner-scoped profile), dates (formatted by Python), the
name search and other orders are not planned; nor is a statement that would compile a date
in. Arguments the general path would refuse (a bad id, a page too large, a cursor not made
here) are not planned either: the general path answers them with its errors. The values are
the general path's values (``tests/api/test_plans.py`` compares both paths' answers on the
same data), in the same order; only the whitespace PostgreSQL writes differs.

Only on PostgreSQL (SQLite runs the general path); ``KOPDES_COMPILED_PLANS=false`` turns it
off. Statements run on a pool of the plan's own (autocommit, no liveness ping: a broken
connection fails the statement and the request falls back to the general path).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)
from graphql.execution.values import get_argument_values, get_variable_values
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from sqlalchemy import (
    BindParameter,
    Select,
    Text,
    bindparam,
    case,
    cast,
    false,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import ExternallyTraversible, replacement_traverse
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from api.pagination import decode_cursor, page_size
from api.schema.common import int_id
from shared.cooperatives import queries
from shared.models import CooperativeVillage, Region
from shared.models import RegionKind as ModelRegionKind

log = logging.getLogger(__name__)

# PostgreSQL passes at most 100 arguments to a function: 50 pairs to json_build_object.
MAX_PAIRS = 50
# Statement templates kept per plan (one per shape: page size, region code length, cursor).
SHAPES_PER_PLAN = 32
PLAN_POOL_SIZE = 10
# Seconds to wait for a connection of the plan's pool; after that, plans pause this long.
CONNECT_WAIT = 5.0
PAUSE_WHEN_UNREACHABLE = 10.0
_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
# Called with each plan statement and its parameters before it runs (the benchmark records
# them for EXPLAIN ANALYZE, as it records the engine's through SQLAlchemy's events).
STATEMENT_HOOKS: list[Callable[[str, dict[str, Any]], None]] = []


class Unplannable(Exception):
    """This document, or these values, go to the general path."""


# --- JSON in SQL ------------------------------------------------------------------------


def _key(name: str) -> ColumnElement[Any]:
    # Response keys are GraphQL names ([_A-Za-z][_0-9A-Za-z]*, checked by the parser).
    return literal_column(f"'{name}'")


def _object(pairs: list[tuple[str, ColumnElement[Any]]]) -> ColumnElement[Any]:
    if len(pairs) > MAX_PAIRS:
        raise Unplannable(f"more than {MAX_PAIRS} fields in one selection")
    arguments: list[ColumnElement[Any]] = []
    for name, value in pairs:
        arguments += [_key(name), value]
    return func.json_build_object(*arguments)


def _b64url(text: ColumnElement[Any]) -> ColumnElement[Any]:
    """``base64.urlsafe_b64encode(text).rstrip("=")`` (PostgreSQL wraps base64 at 76
    characters: the line feeds are dropped)."""
    utf8 = func.convert_to(text, literal_column("'UTF8'"))
    encoded = func.encode(utf8, literal_column("'base64'"))
    alphabet: ColumnElement[Any] = literal_column("'+/' || chr(10)")
    urlsafe = func.translate(encoded, alphabet, literal_column("'-_'"))
    return func.rtrim(urlsafe, literal_column("'='"))


def _global_id(type_name: str, key: ColumnElement[Any]) -> ColumnElement[Any]:
    """``api.schema.common.global_id``."""
    return _b64url(literal_column(f"'{type_name}:'").op("||")(cast(key, Text)))


def _id_cursor(key: ColumnElement[Any]) -> ColumnElement[Any]:
    """``api.pagination.encode_cursor((id,))``: the JSON array ``[id]``."""
    return _b64url(literal_column("'['").op("||")(cast(key, Text)).op("||")(literal_column("']'")))


def _enum_names(column: Any, graphql_type: GraphQLEnumType, default: Any = None) -> Any:
    """The GraphQL name of the enum member a column holds (Strawberry serializes a member by
    its name)."""
    whens: list[tuple[Any, Any]] = []
    for name, value in graphql_type.values.items():
        whens.append((column == value.value, literal_column(f"'{name}'")))
    fallback: Any = None if default is None else literal_column(f"'{default}'")
    return case(*whens, else_=fallback)


# --- selections -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Compiler:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]

    def fields(self, selection_set: SelectionSetNode | None, type_name: str) -> list[FieldNode]:
        """The fields selected on an object type, fragments flattened; a response key once."""
        if selection_set is None:
            raise Unplannable("an object without a selection")
        found: dict[str, FieldNode] = {}
        for node in self._flatten(selection_set, type_name):
            key = node.alias.value if node.alias else node.name.value
            if key in found:
                raise Unplannable(f"{key} selected twice")  # merging is the executor's job
            found[key] = node
        return list(found.values())

    def _flatten(self, selection_set: SelectionSetNode, type_name: str) -> Iterator[FieldNode]:
        for selection in selection_set.selections:
            if selection.directives:
                raise Unplannable("directives")
            if isinstance(selection, FieldNode):
                yield selection
                continue
            condition: NamedTypeNode | None
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                if fragment.directives:
                    raise Unplannable("directives")
                condition, inner = fragment.type_condition, fragment.selection_set
            else:
                assert isinstance(selection, InlineFragmentNode)
                condition, inner = selection.type_condition, selection.selection_set
            if condition is not None and condition.name.value != type_name:
                raise Unplannable("a fragment on another type")
            yield from self._flatten(inner, type_name)


def _key_of(node: FieldNode) -> str:
    return node.alias.value if node.alias else node.name.value


def _plain(graphql_type: GraphQLObjectType, name: str) -> bool:
    """A field Strawberry answers with the attribute of the same name (no resolver, no
    permission classes, no arguments)."""
    field = graphql_type.fields[name]
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return (
        isinstance(definition, StrawberryField)
        and definition.base_resolver is None
        and not definition.permission_classes
        and not definition.extensions
        and not field.args
    )


def _leaf(field: GraphQLField, column: Any) -> ColumnElement[Any]:
    """A column as the field's scalar or enum."""
    named = get_named_type(field.type)
    if isinstance(named, GraphQLEnumType):
        return _enum_names(column, named)  # type: ignore[no-any-return]
    if isinstance(named, GraphQLScalarType) and named.name in ("String", "Int", "Boolean"):
        return column  # type: ignore[no-any-return]
    raise Unplannable(f"a {named.name} field")  # dates, floats: formatted by Python


# Fields of a type that are not its row's attribute of the same name: a SQL expression of the
# row (``Source``: the columns by name).
Source = Any
Special = Callable[["_Compiler", FieldNode, Source], ColumnElement[Any]]


def _object_of(
    compiler: _Compiler,
    type_name: str,
    selection_set: SelectionSetNode | None,
    source: Source,
    special: dict[str, Special],
) -> ColumnElement[Any]:
    graphql_type = compiler.schema.get_type(type_name)
    assert isinstance(graphql_type, GraphQLObjectType)
    pairs: list[tuple[str, ColumnElement[Any]]] = []
    for node in compiler.fields(selection_set, type_name):
        name = node.name.value
        if name == "__typename":
            value: ColumnElement[Any] = literal_column(f"'{type_name}'")
        elif name in special:
            if node.arguments:
                raise Unplannable("arguments")
            value = special[name](compiler, node, source)
        elif name in graphql_type.fields and _plain(graphql_type, name):
            definition = graphql_type.fields[name].extensions[
                GraphQLCoreConverter.DEFINITION_BACKREF
            ]
            column = source.get(definition.python_name)
            if column is None:
                raise Unplannable(f"{type_name}.{name} is not a column")
            value = _leaf(graphql_type.fields[name], column)
        else:
            raise Unplannable(f"{type_name}.{name}")
        pairs.append((_key_of(node), value))
    return _object(pairs)


def _columns(selectable: Any) -> dict[str, Any]:
    return {column.key: column for column in selectable.c}


# Village (``api.schema.regions.to_region``): id from the code, retired from the edition
# that retired it, a village's kind desa when none is recorded.
def _village(compiler: _Compiler, node: FieldNode, region: Any) -> ColumnElement[Any]:
    kinds = compiler.schema.get_type("RegionKind")
    assert isinstance(kinds, GraphQLEnumType)
    source = {column.key: column for column in region.__table__.c}
    special: dict[str, Special] = {
        "id": lambda _c, _n, _s: _global_id("Village", Region.__table__.c.code),
        "retired": lambda _c, _n, _s: Region.retired_edition_id.isnot(None),
        "kind": lambda _c, _n, _s: _enum_names(Region.kind, kinds, ModelRegionKind.desa.name),
    }
    return _object_of(compiler, "Village", node.selection_set, source, special)


def _villages(compiler: _Compiler, node: FieldNode, cooperative: Source) -> ColumnElement[Any]:
    """``Cooperative.villages``: its villages by code (``queries.villages_of_cooperatives``)."""
    item = _village(compiler, node, Region)
    rows = (
        select(func.json_agg(aggregate_order_by(item, Region.code)))
        .select_from(CooperativeVillage)
        .join(Region, Region.id == CooperativeVillage.village_id)
        .where(CooperativeVillage.cooperative_id == cooperative["id"])
        .scalar_subquery()
    )
    return func.coalesce(rows, literal_column("'[]'::json"))


_COOPERATIVE: dict[str, Special] = {
    "id": lambda _c, _n, s: _global_id("Cooperative", s["id"]),
    "databaseId": lambda _c, _n, s: s["id"],
    "villages": _villages,
}


def _cooperative(compiler: _Compiler, node: FieldNode, source: Source) -> ColumnElement[Any]:
    return _object_of(compiler, "Cooperative", node.selection_set, source, _COOPERATIVE)


# --- root fields ------------------------------------------------------------------------

# Longer region codes than any official one go to the general path: the code's length is part
# of the shape (it decides the statement), and a shape each would cost a compilation each.
MAX_CODE = 13
# Filters a plan takes (GraphQL name -> the domain filter's): all but the name search.
_FILTERS = {
    "regionCode": "region_code",
    "stage": "stage",
    "scheme": "scheme",
    "kind": "kind",
    "isMockup": "is_mockup",
    "outletType": "outlet_type",
    "financingReady": "financing_ready",
}


def _sentinel_like(value: Any, slot: int) -> Any:
    """A value of the same type and length as ``value`` that no statement holds otherwise:
    found again among the compiled statement's parameters by value."""
    if isinstance(value, str):
        return chr(1 + slot) + "~" * (len(value) - 1)
    if isinstance(value, int) and not isinstance(value, bool):
        return -7_000_000_000_000 - slot
    raise Unplannable(f"a {type(value).__name__} value")


def _with_values(statement: Select[Any], values: dict[str, Any]) -> Select[Any]:
    """The statement with its named bind parameters holding these values, each under a name of
    its own (two roots of one document bind an id each)."""

    def bound(element: ExternallyTraversible, **_kw: Any) -> ExternallyTraversible | None:
        if isinstance(element, BindParameter) and element.key in values:
            value = values[element.key]
            return bindparam(None, value, element.type, expanding=element.expanding, unique=True)
        return None

    replaced = replacement_traverse(statement, {}, bound)
    assert isinstance(replaced, Select)
    return replaced


@dataclass(frozen=True, slots=True)
class _Root:
    """A root field of a plan: ``values`` reads its arguments (Unplannable: the general path
    answers them), ``build`` its JSON for a shape with sentinels in place of the values."""

    key: str
    field: GraphQLField
    node: FieldNode
    build: Callable[[tuple[Any, ...], dict[str, Any], int], ColumnElement[Any]]
    values: Callable[[dict[str, Any]], tuple[tuple[Any, ...], dict[str, Any]]]


def _cooperative_root(compiler: _Compiler, field: GraphQLField, node: FieldNode) -> _Root:
    def values(args: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            number = int_id(args["id"], "Cooperative")
        except Exception as exc:  # the general path answers it with its error
            raise Unplannable("id") from exc
        return (), {"id": number}

    def build(_shape: tuple[Any, ...], sentinels: dict[str, Any], index: int) -> Any:
        read = queries.cooperatives_by_id([sentinels["id"]], None)
        rows = _with_values(read.statement, read.params or {}).subquery(f"c{index}")
        return select(_cooperative(compiler, node, _columns(rows))).scalar_subquery()

    build((), {"id": 0}, 0)  # a selection it cannot plan is known now, not per request
    return _Root(_key_of(node), field, node, build, values)


def _cooperatives_root(compiler: _Compiler, field: GraphQLField, node: FieldNode) -> _Root:
    connection = get_named_type(field.type)
    assert isinstance(connection, GraphQLObjectType)
    edge = get_named_type(connection.fields["edges"].type)
    assert isinstance(edge, GraphQLObjectType)

    def values(args: dict[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        given = args.get("filter") or {}
        if any(value is not None for name, value in given.items() if name not in _FILTERS):
            raise Unplannable("a filter by name (its pattern is made from the value)")
        # Values from short lists (enums, booleans) are part of the shape, compiled in.
        finite = tuple(
            (_FILTERS[name], value)
            for name, value in sorted(given.items())
            if name in _FILTERS and name != "regionCode" and value is not None
        )
        if getattr(args.get("orderBy"), "value", None) != "id":
            raise Unplannable("an order other than id")
        try:
            size = page_size(args.get("first"))
            after = decode_cursor(args.get("after"), 1)
            key = int(after[0]) if after is not None else None
        except Exception as exc:
            raise Unplannable("arguments") from exc
        region = (given.get("regionCode") or "").strip() or None
        if region is not None and len(region) > MAX_CODE:
            raise Unplannable("not a region code")
        found: dict[str, Any] = {}
        if region is not None:
            found["region"] = region
        if key is not None:
            found["after"] = key
        return (size, len(region or ""), key is not None, finite), found

    def build(shape: tuple[Any, ...], sentinels: dict[str, Any], index: int) -> Any:
        size, _region, has_after, finite = shape
        spec = queries.CooperativeFilter(region_code=sentinels.get("region"), **dict(finite))
        after = [sentinels["after"]] if has_after else None
        read = queries.cooperative_page(spec, order="id", after=after, size=size, scope=None)
        page = read.statement.cte(f"p{index}")  # up to size + 1 rows: one more tells
        shown = select(page).order_by(page.c.id).limit(size).cte(f"s{index}")
        # api.pagination.connection_of: more rows than the page holds follow; a previous page
        # when ``after`` was given; the first and last item's cursors.
        page_info: dict[str, Special] = {
            "hasNextPage": lambda *_: (
                select(func.count()).select_from(page).scalar_subquery() > size
            ),
            "hasPreviousPage": lambda *_: true() if has_after else false(),
            "startCursor": lambda *_: select(_id_cursor(func.min(shown.c.id))).scalar_subquery(),
            "endCursor": lambda *_: select(_id_cursor(func.max(shown.c.id))).scalar_subquery(),
        }
        item: dict[str, Special] = {
            "cursor": lambda *_: _id_cursor(shown.c.id),
            "node": lambda c, n, _s: _cooperative(c, n, _columns(shown)),
        }

        def edges(c: _Compiler, n: FieldNode, _s: Source) -> ColumnElement[Any]:
            one = _object_of(c, edge.name, n.selection_set, {}, item)
            items = select(func.json_agg(aggregate_order_by(one, shown.c.id))).scalar_subquery()
            return func.coalesce(items, literal_column("'[]'::json"))

        fields: dict[str, Special] = {
            "totalCount": lambda *_: queries.cooperative_count(spec).statement.scalar_subquery(),
            "pageInfo": lambda c, n, _s: _object_of(c, "PageInfo", n.selection_set, {}, page_info),
            "edges": edges,
        }
        return _object_of(compiler, connection.name, node.selection_set, {}, fields)

    build((1, 0, False, ()), {}, 0)  # a selection it cannot plan is known now
    return _Root(_key_of(node), field, node, build, values)


_ROOTS: dict[str, Callable[[_Compiler, GraphQLField, FieldNode], _Root]] = {
    "cooperative": _cooperative_root,
    "cooperatives": _cooperatives_root,
}


# --- plans ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Template:
    sql: str
    fixed: dict[str, Any]
    slots: dict[str, tuple[int, str]]  # bind name -> (root, value name)


class Plan:
    """A document's statement templates, by shape."""

    def __init__(
        self, schema: GraphQLSchema, operation: OperationDefinitionNode, roots: list[_Root]
    ) -> None:
        self.schema = schema
        self.operation = operation
        self.roots = roots
        self.templates: OrderedDict[tuple[Any, ...], _Template | None] = OrderedDict()

    def statement(self, variables: dict[str, Any] | None) -> tuple[str, dict[str, Any]]:
        """The SQL and its parameters for these variables; Unplannable when the general path
        must answer them (it coerces and refuses variables with its own errors)."""
        definitions = self.operation.variable_definitions or ()
        coerced = get_variable_values(self.schema, definitions, variables or {})
        if isinstance(coerced, list):
            raise Unplannable("variables")
        shape: list[Any] = []
        values: list[dict[str, Any]] = []
        for root in self.roots:
            arguments = get_argument_values(root.field, root.node, coerced)
            part, found = root.values(arguments)
            shape.append((part, tuple(sorted(found))))
            values.append(found)
        key = tuple(shape)
        if key in self.templates:
            template = self.templates[key]
        else:
            try:
                template = self._template(key, values)
            except Unplannable:
                template = None  # remembered: not tried again for this shape
            self.templates[key] = template
            if len(self.templates) > SHAPES_PER_PLAN:
                self.templates.popitem(last=False)
        if template is None:
            raise Unplannable("a shape without a template")
        params = dict(template.fixed)
        for bind, (index, name) in template.slots.items():
            params[bind] = values[index][name]
        return template.sql, params

    def _template(self, key: tuple[Any, ...], values: list[dict[str, Any]]) -> _Template:
        """The statement of a shape, built with a sentinel in place of each value (the same
        type and length: a region code's length decides its statement); the parameters that
        hold the sentinels are the request's slots, the others are fixed."""
        expected: dict[Any, tuple[int, str]] = {}
        pairs: list[tuple[str, ColumnElement[Any]]] = []
        for index, (root, (part, names)) in enumerate(zip(self.roots, key, strict=True)):
            chosen: dict[str, Any] = {}
            for name in names:
                chosen[name] = _sentinel_like(values[index][name], len(expected))
                expected[chosen[name]] = (index, name)
            pairs.append((root.key, root.build(part, chosen, index)))
        statement = select(cast(_object(pairs), Text))
        # Expanded: an IN list's parameters rendered one by one, as the driver sees them.
        expanded = statement.compile(dialect=_DIALECT).construct_expanded_state()
        fixed: dict[str, Any] = {}
        slots: dict[str, tuple[int, str]] = {}
        for bind, value in expanded.parameters.items():
            if isinstance(value, (int, str)) and value in expected:
                slots[bind] = expected[value]
                continue
            if isinstance(value, date):  # "today" would be compiled in for good
                raise Unplannable("a date in the statement")
            # A fixed value as the driver receives it (an enum member as its stored text).
            processor = expanded.processors.get(bind)
            fixed[bind] = processor(value) if processor is not None else value
        if set(slots.values()) != set(expected.values()):
            raise Unplannable("a value not found among the statement's parameters")
        return _Template(expanded.statement, fixed, slots)


def compile_plan(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> Plan | None:
    """The plan of a query, or None when it selects anything a plan does not cover."""
    if operation.directives:
        return None
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    compiler = _Compiler(schema, fragments)
    query = schema.query_type
    assert query is not None
    try:
        roots = []
        for node in compiler.fields(operation.selection_set, query.name):
            if node.name.value not in _ROOTS:
                return None
            roots.append(_ROOTS[node.name.value](compiler, query.fields[node.name.value], node))
    except (Unplannable, KeyError):
        return None
    return Plan(schema, operation, roots) if roots else None


class PlanRunner:
    """Runs plans on a pool of its own (per event loop: tests run several)."""

    def __init__(self, dsn: str, size: int = PLAN_POOL_SIZE) -> None:
        self.dsn = dsn
        self.size = size
        self._pool: AsyncConnectionPool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self._paused_until = 0.0

    async def _connections(self) -> AsyncConnectionPool:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._opening is None or self._loop is not loop:
            self._opening = asyncio.Lock()
            self._loop = loop
            self._pool = None
        async with self._opening:
            if self._pool is None:
                pool = AsyncConnectionPool(
                    self.dsn,
                    min_size=1,
                    max_size=self.size,
                    kwargs={"autocommit": True, "application_name": "kopdes-plans"},
                    open=False,
                    name="kopdes-plans",
                )
                try:
                    await pool.open(wait=True, timeout=CONNECT_WAIT)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
        return self._pool

    async def run(self, sql: str, params: dict[str, Any]) -> bytes | None:
        """The ``data`` JSON; None when the statement failed (the general path answers)."""
        if time.monotonic() < self._paused_until:
            return None
        for hook in STATEMENT_HOOKS:
            hook(sql, params)
        try:
            pool = await self._connections()
            async with pool.connection(timeout=CONNECT_WAIT) as conn:
                cursor = await conn.execute(sql, params)
                row = await cursor.fetchone()
        except PoolTimeout as exc:
            # No connection to be had: the general path answers (and meets the database with
            # its own pool) for a while, rather than every request waiting here first.
            self._paused_until = time.monotonic() + PAUSE_WHEN_UNREACHABLE
            log.warning("compiled plans paused for %ss: %s", PAUSE_WHEN_UNREACHABLE, exc)
            return None
        except (psycopg.Error, OSError, TimeoutError) as exc:
            log.warning("a compiled plan failed, answering on the general path: %s", exc)
            return None
        return None if row is None else str(row[0]).encode()

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            await pool.close()
