"""Every field and mutation against every role, built from the schema and the role table.

Static: the schema's permission classes and reachability must equal ``roles.py``, and every
type and protected field must be declared there. Dynamic: every root field and mutation is
called over HTTP as anonymous, partner, scoped partner, operations, admin, and with a revoked
and an expired key; every protected field of a cooperative likewise. Allowed calls meet no
permission error; denied calls answer UNAUTHENTICATED (no key) or FORBIDDEN (too low a role)
and no data. A mutation that succeeds leaves an audit row with its request id; one that fails
leaves none.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    get_named_type,
    is_composite_type,
)
from graphql.pyutils import Undefined
from sqlalchemy import select
from strawberry.permission import PermissionExtension

from api.permissions import RoleAtLeast
from api.schema import schema
from shared.models import ROLE_RANK, AuditEntry, Role
from tests.access.roles import AUDITED_BY_JOB, DISPATCHERS, FIELDS, REACH
from tests.access.support import Callers

GRAPHQL = schema._schema
ROOTS = {"Query": Role.anonymous, "Mutation": Role.anonymous, "Subscription": Role.anonymous}
CALLERS = {
    "anonymous": Role.anonymous,
    "partner": Role.partner,
    "partner64": Role.partner,
    "operations": Role.operations,
    "admin": Role.admin,
}


def object_types() -> dict[str, GraphQLObjectType]:
    return {
        name: t
        for name, t in GRAPHQL.type_map.items()
        if isinstance(t, GraphQLObjectType) and not name.startswith("__")
    }


def own_role(field: GraphQLField) -> Role:
    """The role the field's permission classes demand (anonymous without any)."""
    definition = (field.extensions or {}).get("strawberry-definition")
    assert definition is not None
    permissions: list[type[Any]] = list(definition.permission_classes or [])
    for extension in definition.extensions:
        if isinstance(extension, PermissionExtension):
            permissions += [type(p) for p in extension.permissions]
    role = Role.anonymous
    for permission in permissions:
        assert issubclass(permission, RoleAtLeast), f"undeclared permission {permission}"
        role = max(role, permission.role, key=ROLE_RANK.__getitem__)
    return role


def reachability() -> dict[str, Role]:
    """The lowest role that reaches each object type from the roots (shortest path by role)."""
    best: dict[str, Role] = {}
    frontier = [(name, role) for name, role in ROOTS.items() if name in object_types()]
    while frontier:
        name, role = frontier.pop()
        if name in best and ROLE_RANK[best[name]] <= ROLE_RANK[role]:
            continue
        best[name] = role
        for field_name, field in object_types()[name].fields.items():
            if f"{name}.{field_name}" in DISPATCHERS:
                continue
            needed = max(role, own_role(field), key=ROLE_RANK.__getitem__)
            target = get_named_type(field.type)
            targets: list[Any] = [target]
            if isinstance(target, GraphQLInterfaceType):
                targets = list(GRAPHQL.get_implementations(target).objects)
            elif isinstance(target, GraphQLUnionType):
                targets = list(target.types)
            frontier += [(t.name, needed) for t in targets if isinstance(t, GraphQLObjectType)]
    return best


def test_every_type_is_declared_and_reached_by_the_declared_role() -> None:
    reached = reachability()
    undeclared = sorted(set(object_types()) - set(REACH))
    assert not undeclared, f"declare these types in tests/access/roles.py REACH: {undeclared}"
    stale = sorted(set(REACH) - set(object_types()))
    assert not stale, f"types in REACH that the schema no longer has: {stale}"
    wrong = {
        name: (REACH[name].value, reached.get(name, "unreachable"))
        for name in REACH
        if name not in ROOTS and reached.get(name) != REACH[name]
    }
    assert not wrong, f"declared vs actual lowest role reaching each type: {wrong}"


def test_every_protected_field_is_declared_with_its_role() -> None:
    problems: list[str] = []
    for type_name, t in object_types().items():
        roles = {f"{type_name}.{n}": own_role(f) for n, f in t.fields.items()}
        mixed = any(r != Role.anonymous for r in roles.values())
        for key, role in roles.items():
            declared = FIELDS.get(key)
            if declared is None and (mixed or type_name in ROOTS):
                problems.append(f"{key}: not declared (needs {role.value})")
            elif declared is not None and declared != role:
                problems.append(f"{key}: declared {declared.value}, schema says {role.value}")
    stale = [
        k
        for k in FIELDS
        if k.split(".")[0] not in object_types()
        or k.split(".")[1] not in object_types()[k.split(".")[0]].fields
    ]
    problems += [f"{k}: declared but not in the schema" for k in stale]
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# Building calls from the schema


SCALAR_SAMPLES: dict[str, Any] = {
    "ID": "0",
    "String": "x",
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Date": "2026-01-01",
    "DateTime": "2026-01-01T00:00:00+00:00",
    "JSON": {},
    "Upload": None,  # sent as a multipart file
}


def sample(t: GraphQLInputType) -> Any:
    """A value of an input type: required parts only (the permission is checked first)."""
    if isinstance(t, GraphQLNonNull):
        return sample(t.of_type)
    if isinstance(t, GraphQLList):
        return []
    if isinstance(t, GraphQLEnumType):
        return next(iter(t.values))
    if isinstance(t, GraphQLInputObjectType):
        return {
            name: sample(f.type)
            for name, f in t.fields.items()
            if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
        }
    assert isinstance(t, GraphQLScalarType)
    if t.name not in SCALAR_SAMPLES:
        pytest.fail(f"add a sample value for scalar {t.name} to SCALAR_SAMPLES")
    return SCALAR_SAMPLES[t.name]


def _type_literal(t: Any) -> str:
    if isinstance(t, GraphQLNonNull):
        return _type_literal(t.of_type) + "!"
    if isinstance(t, GraphQLList):
        return f"[{_type_literal(t.of_type)}]"
    return str(t.name)


def root_call(
    operation: str, name: str, field: GraphQLField
) -> tuple[str, dict[str, Any], list[str]]:
    """A document calling one root field with sample required arguments; Upload args listed."""
    declarations, arguments, variables, uploads = [], [], {}, []
    for arg_name, arg in field.args.items():
        if not isinstance(arg.type, GraphQLNonNull) or arg.default_value is not Undefined:
            continue
        declarations.append(f"${arg_name}: {_type_literal(arg.type)}")
        arguments.append(f"{arg_name}: ${arg_name}")
        variables[arg_name] = sample(arg.type)
        if get_named_type(arg.type).name == "Upload":
            uploads.append(arg_name)
    returned = get_named_type(field.type)
    selection = " { __typename }" if is_composite_type(returned) else ""
    if isinstance(returned, GraphQLObjectType) and "userErrors" in returned.fields:
        selection = " { __typename userErrors { __typename } }"  # payloads refuse in-band
    head = f"{operation} Matrix({', '.join(declarations)})" if declarations else operation
    call = f"{name}({', '.join(arguments)})" if arguments else name
    return f"{head} {{ {call}{selection} }}", variables, uploads


async def send(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    uploads: list[str],
    headers: dict[str, str],
) -> httpx.Response:
    if not uploads:
        return await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    operations = json.dumps({"query": query, "variables": variables})
    files_map = {str(i): [f"variables.{name}"] for i, name in enumerate(uploads)}
    files = {str(i): (f"{name}.csv", b"code,name\n", "text/csv") for i, name in enumerate(uploads)}
    return await client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps(files_map)},
        files=files,
        headers=headers,
    )


def permission_errors(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in body.get("errors") or []
        if (e.get("extensions") or {}).get("code") in ("UNAUTHENTICATED", "FORBIDDEN")
    ]


def check(body: dict[str, Any], caller: str, needed: Role, path: list[str], where: str) -> bool:
    """Assert the answer fits the caller's role; return whether access was allowed."""
    allowed = ROLE_RANK[CALLERS[caller]] >= ROLE_RANK[needed]
    denials = permission_errors(body)
    if allowed:
        assert not denials, f"{where} as {caller}: allowed but refused: {denials}"
        return True
    expected = "UNAUTHENTICATED" if caller == "anonymous" else "FORBIDDEN"
    assert denials, f"{where} as {caller}: needs {needed.value} but was not refused: {body}"
    assert {e["extensions"]["code"] for e in denials} == {expected}, f"{where} as {caller}"
    assert any(e.get("path") == path for e in denials), f"{where}: {denials}"
    value: Any = body.get("data")
    for step in path:
        value = None if value is None else value.get(step)
    assert value is None, f"{where} as {caller}: denied yet answered {value}"
    return False


ROOT_FIELDS = [
    (op, name, field)
    for op, type_name in (("query", "Query"), ("mutation", "Mutation"))
    for name, field in object_types()[type_name].fields.items()
]


@pytest.mark.parametrize(
    ("operation", "name", "field"),
    ROOT_FIELDS,
    ids=[f"{op}.{name}" for op, name, _ in ROOT_FIELDS],
)
async def test_root_fields_answer_each_role_as_declared(
    client: httpx.AsyncClient,
    callers: Callers,
    db: Any,
    operation: str,
    name: str,
    field: GraphQLField,
) -> None:
    key = f"{operation.capitalize()}.{name}"
    needed = FIELDS[key]
    query, variables, uploads = root_call(operation, name, field)
    for caller in CALLERS:
        response = await send(client, query, variables, uploads, callers.headers(caller))
        assert response.status_code in (200, 400), response.text
        body = response.json()
        allowed = check(body, caller, needed, [name], key)
        if operation == "mutation":
            with db.transaction() as session:
                rows = (
                    session.execute(
                        select(AuditEntry).where(
                            AuditEntry.request_id == response.headers["x-request-id"]
                        )
                    )
                    .scalars()
                    .all()
                )
            payload = (body.get("data") or {}).get(name) or {}
            if not allowed or body.get("errors") or payload.get("userErrors"):
                assert rows == [], f"{key} as {caller} failed but left audit rows"
            elif key not in AUDITED_BY_JOB:
                assert rows, f"{key} as {caller} succeeded without an audit row"
                assert all(r.api_key_id == callers.ids[caller] for r in rows)
    for caller in ("revoked", "expired"):
        response = await send(client, query, variables, uploads, callers.headers(caller))
        assert response.status_code == 401, f"{key} with a {caller} key"
        assert response.json()["data"] is None


# ---------------------------------------------------------------------------------------------
# Nested protected fields, reached through seeded data

# How to reach one instance of each type that has protected fields: a query with `%s` where the
# field goes, and the seeded record it must find (in province 64).
NESTED_REACH = {
    "Cooperative": "query($id: ID!) { cooperative(id: $id) { %s } }",
}


def _selection(field_name: str, field: GraphQLField) -> str:
    if is_composite_type(get_named_type(field.type)):
        return f"{field_name} {{ __typename }}"
    return field_name


NESTED = [
    (type_name, field_name)
    for type_name, t in object_types().items()
    if type_name not in ROOTS
    for field_name, f in t.fields.items()
    if own_role(f) != Role.anonymous
]


def test_every_type_with_protected_fields_can_be_reached_by_the_matrix() -> None:
    missing = sorted({t for t, _ in NESTED} - set(NESTED_REACH))
    assert not missing, f"add a query reaching {missing} to NESTED_REACH"


@pytest.fixture
def kaltim_coop(db: Any) -> int:
    from shared.villages.service import EditionInfo, import_now
    from tests.api.conftest import DATA
    from tests.api.support import seed_cooperatives

    job = import_now(db, [DATA / "2025-64"], edition=EditionInfo(label="2025"))
    assert job.status == "succeeded", job.message
    return seed_cooperatives(db)["lempake"]


@pytest.mark.parametrize(("type_name", "field_name"), NESTED, ids=[f"{t}.{f}" for t, f in NESTED])
async def test_protected_nested_fields_answer_each_role_as_declared(
    client: httpx.AsyncClient,
    callers: Callers,
    kaltim_coop: int,
    type_name: str,
    field_name: str,
) -> None:
    field = object_types()[type_name].fields[field_name]
    template = NESTED_REACH[type_name]
    query = template % _selection(field_name, field)
    root = query.split("{", 2)[1].split("(")[0].strip()
    needed = FIELDS[f"{type_name}.{field_name}"]
    for caller in CALLERS:
        body = (
            await client.post(
                "/graphql",
                json={"query": query, "variables": {"id": str(kaltim_coop)}},
                headers=callers.headers(caller),
            )
        ).json()
        assert body["data"][root] is not None, f"the seeded {type_name} was not found: {body}"
        if check(body, caller, needed, [root, field_name], f"{type_name}.{field_name}"):
            assert body["data"][root][field_name] is not None, f"{caller}: {body}"
