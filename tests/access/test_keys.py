"""API keys: what is stored, how tokens are checked, revocation, expiry, last use, the CLI."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from shared.access import keys
from shared.models import ApiKey, AuditEntry, Role
from tests.access.support import TEST_ACTOR, Callers, bearer, issue
from tests.support import gql

WHO_AM_I = "{ apiKeys { id name } }"


def test_only_the_sha256_of_the_token_is_stored(db: Any) -> None:
    key_id, token = issue(db, Role.partner)
    with db.sync_engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_keys WHERE id = :id"), {"id": key_id}).one()
        audit_rows = conn.execute(text("SELECT * FROM audit_log")).all()
    assert row.secret_hash == hashlib.sha256(token.encode()).hexdigest()
    # kdp_<prefix>_<secret>: the secret is url-safe base64 and may itself contain "_", so it
    # is everything after the second underscore (the prefix has none), not after the last.
    secret = token.split("_", 2)[2]
    assert len(secret) == 43
    everything = json.dumps([list(row), *[list(a) for a in audit_rows]], default=str)
    assert secret not in everything
    assert token.startswith(f"kdp_{row.prefix}_")


def test_tokens_carry_256_random_bits_and_distinct_prefixes() -> None:
    made = [keys.generate_token() for _ in range(200)]
    assert len({prefix for prefix, _ in made}) == 200
    for prefix, token in made:
        secret = token.split("_", 2)[2]
        assert len(secret) == 43  # 32 bytes, url-safe base64
        assert keys.token_prefix(token) == prefix


def test_check_token_refuses_a_wrong_secret_with_a_right_prefix(db: Any) -> None:
    _, token = issue(db, Role.admin)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with db.transaction() as session:
        assert keys.authenticate(session, token).role == Role.admin
        with pytest.raises(keys.InvalidToken, match="invalid"):
            keys.authenticate(session, forged)
        with pytest.raises(keys.InvalidToken, match="malformed"):
            keys.authenticate(session, "kdp_short_x")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer kdp_aaaaaaaaaaaa_" + "A" * 43,  # well-formed, unknown
        "Bearer not-a-key",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
    ],
)
async def test_bad_tokens_answer_401_and_never_fall_back_to_anonymous(
    client: httpx.AsyncClient, header: str
) -> None:
    # `{ __typename }` is open to anonymous callers: a 401 proves no fallback happened.
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Authorization": header}
    )
    assert response.status_code == 401
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_expired_and_revoked_keys_answer_401(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    for name, reason in (("expired", "expired"), ("revoked", "revoked")):
        response = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers=callers.headers(name)
        )
        assert response.status_code == 401, name
        assert reason in response.json()["errors"][0]["message"]


async def test_revocation_takes_effect_on_the_next_request(
    client: httpx.AsyncClient, db: Any
) -> None:
    key_id, token = issue(db, Role.admin, name="soon revoked")
    first = await gql(client, WHO_AM_I, headers=bearer(token))
    assert any(k["name"] == "soon revoked" for k in first["data"]["apiKeys"])
    with db.transaction() as session:
        keys.revoke_key(session, TEST_ACTOR, key_id)
    response = await client.post("/graphql", json={"query": WHO_AM_I}, headers=bearer(token))
    assert response.status_code == 401


async def _last_used(db: Any, key_id: int) -> datetime | None:
    with db.sync_engine.connect() as conn:
        return conn.execute(  # type: ignore[no-any-return]
            select(ApiKey.last_used_at).where(ApiKey.id == key_id)
        ).scalar_one()


async def _wait_for_last_used(db: Any, key_id: int) -> datetime:
    for _ in range(200):
        value = await _last_used(db, key_id)
        if value is not None:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("last_used_at was never written")


async def test_last_use_is_recorded_at_most_once_a_minute(
    client: httpx.AsyncClient, db: Any
) -> None:
    key_id, token = issue(db, Role.partner)
    assert await _last_used(db, key_id) is None
    await gql(client, "{ __typename }", headers=bearer(token))
    first = await _wait_for_last_used(db, key_id)
    for _ in range(5):
        await gql(client, "{ __typename }", headers=bearer(token))
    await asyncio.sleep(0.2)
    assert await _last_used(db, key_id) == first


def test_last_use_write_is_skipped_within_the_resolution(db: Any) -> None:
    key_id, _ = issue(db, Role.partner)
    now = datetime.now(UTC)
    with db.transaction() as session:
        assert session.execute(keys.touch_statement(key_id, now)).rowcount == 1
        later = now + keys.LAST_USED_RESOLUTION / 2
        assert session.execute(keys.touch_statement(key_id, later)).rowcount == 0
        much_later = now + keys.LAST_USED_RESOLUTION * 2
        assert session.execute(keys.touch_statement(key_id, much_later)).rowcount == 1


def test_key_input_is_refused_naming_the_field(db: Any) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": " ", "role": Role.partner}, "name"),
        ({"name": "x", "role": Role.anonymous}, "role"),
        ({"name": "x", "role": Role.operations, "province_code": "64"}, "province"),
        ({"name": "x", "role": Role.partner, "province_code": "6"}, "province"),
        (
            {"name": "x", "role": Role.partner, "expires_at": datetime.now(UTC) - timedelta(1)},
            "expires",
        ),
    ]
    for kwargs, field in cases:
        with pytest.raises(keys.KeyInputError) as raised, db.transaction() as session:
            keys.create_key(session, TEST_ACTOR, **kwargs)
        assert raised.value.field == field
    with db.transaction() as session:
        assert session.execute(select(ApiKey)).first() is None
        assert session.execute(select(AuditEntry)).first() is None


def test_expiry_durations_and_dates_parse() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert keys.parse_expiry("90d", now) == now + timedelta(days=90)
    assert keys.parse_expiry("12h", now) == now + timedelta(hours=12)
    assert keys.parse_expiry("2w", now) == now + timedelta(weeks=2)
    assert keys.parse_expiry("2027-03-01", now) == datetime(2027, 3, 1, tzinfo=UTC)
    with pytest.raises(keys.KeyInputError):
        keys.parse_expiry("soon", now)


def _create_then_fail(db: Any) -> None:
    with db.transaction() as session:
        keys.create_key(session, TEST_ACTOR, name="never", role=Role.admin)
        raise RuntimeError("the caller's transaction fails after the key was written")


def test_key_changes_roll_back_with_their_audit_rows(db: Any) -> None:
    with pytest.raises(RuntimeError):
        _create_then_fail(db)
    with db.transaction() as session:
        assert session.execute(select(ApiKey)).first() is None
        assert session.execute(select(AuditEntry)).first() is None


def test_cli_creates_lists_and_revokes_keys(db: Any) -> None:
    from cli import access as _  # noqa: F401  (registers the commands)
    from cli import app

    runner = CliRunner()
    created = runner.invoke(
        app,
        [
            "apikey",
            "create",
            "--name",
            "Bank Kaltim",
            "--role",
            "partner",
            "--expires",
            "90d",
            "--province",
            "64",
        ],
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("kdp_")
    with db.transaction() as session:
        key = keys.authenticate(session, token)
        assert (key.role, key.province_code, key.name) == (Role.partner, "64", "Bank Kaltim")
        assert key.expires_at is not None
        assert key.expires_at - datetime.now(UTC) > timedelta(days=89)
    listed = runner.invoke(app, ["apikey", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["name"] for r in rows] == ["Bank Kaltim"]
    assert token not in listed.output
    revoked = runner.invoke(app, ["apikey", "revoke", rows[0]["prefix"]])
    assert revoked.exit_code == 0, revoked.output
    assert runner.invoke(app, ["apikey", "list", "--json"]).stdout.strip() == ""
    with db.transaction() as session, pytest.raises(keys.InvalidToken, match="revoked"):
        keys.authenticate(session, token)
    bad = runner.invoke(app, ["apikey", "create", "--name", "x", "--role", "root"])
    assert bad.exit_code == 2
    with db.transaction() as session:
        operations = [e.operation for e in session.execute(select(AuditEntry)).scalars()]
        actors = {e.actor for e in session.execute(select(AuditEntry)).scalars()}
    assert operations == ["apikey.create", "apikey.revoke"]
    assert all(a.startswith("cli:") for a in actors)


async def test_admin_mutations_issue_and_revoke_keys_with_audit_rows(
    client: httpx.AsyncClient, callers: Callers, db: Any
) -> None:
    admin = callers.headers("admin")
    created = await gql(
        client,
        """mutation($input: CreateApiKeyInput!) {
             createApiKey(input: $input) { token key { id role provinceCode active } } }""",
        {"input": {"name": "Bank X", "role": "PARTNER", "provinceCode": "64"}},
        headers=admin,
    )
    new = created["data"]["createApiKey"]
    assert new["key"]["role"] == "PARTNER"
    assert new["key"]["provinceCode"] == "64"
    assert (await gql(client, "{ __typename }", headers=bearer(new["token"])))["data"]
    revoked = await gql(
        client,
        "mutation($id: ID!) { revokeApiKey(id: $id) { active revokedAt } }",
        {"id": new["key"]["id"]},
        headers=admin,
    )
    assert revoked["data"]["revokeApiKey"]["active"] is False
    response = await client.post(
        "/graphql", json={"query": "{ __typename }"}, headers=bearer(new["token"])
    )
    assert response.status_code == 401
    log = await gql(
        client,
        """query($id: String) { auditLog(filter: {targetType: "api_key", targetId: $id}) {
               edges { node { operation actor apiKeyId requestId before after } } } }""",
        {"id": new["key"]["id"]},
        headers=admin,
    )
    entries = [e["node"] for e in log["data"]["auditLog"]["edges"]]
    assert [e["operation"] for e in entries] == ["apikey.revoke", "apikey.create"]
    assert {e["apiKeyId"] for e in entries} == {str(callers.ids["admin"])}
    assert all(e["actor"] == "key:admin-key" and e["requestId"] for e in entries)
    assert entries[0]["before"]["revoked_at"] is None
    assert entries[0]["after"]["revoked_at"] is not None
    assert "secret_hash" not in json.dumps(entries)


async def test_bad_key_input_over_graphql_names_the_argument(
    client: httpx.AsyncClient, callers: Callers
) -> None:
    body = await gql(
        client,
        'mutation { createApiKey(input: {name: "x", role: ADMIN, provinceCode: "64"}) { token } }',
        headers=callers.headers("admin"),
        expect_errors=True,
    )
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "input.provinceCode"
    missing = await gql(
        client,
        'mutation { revokeApiKey(id: "99999") { id } }',
        headers=callers.headers("admin"),
        expect_errors=True,
    )
    assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_audit_log_pages_newest_first_with_filters(
    client: httpx.AsyncClient, callers: Callers, db: Any
) -> None:
    for i in range(7):
        issue(db, Role.partner, name=f"page-{i}")
    admin = callers.headers("admin")
    query = """query($after: String, $filter: AuditLogFilter) {
      auditLog(first: 3, after: $after, filter: $filter) {
        edges { node { id operation after } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[int] = []
    after = None
    while True:
        page = (
            await gql(
                client,
                query,
                {"after": after, "filter": {"operation": "apikey.create"}},
                headers=admin,
            )
        )["data"]["auditLog"]
        seen += [int(e["node"]["id"]) for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    # 6 callers' keys + 7 here; the revocation in make_callers is filtered out.
    assert len(seen) == 13
    assert seen == sorted(seen, reverse=True)
    family = await gql(client, query, {"filter": {"operation": "apikey.*"}}, headers=admin)
    assert family["data"]["auditLog"]["pageInfo"]["hasNextPage"] is True
    revokes = await gql(client, query, {"filter": {"operation": "apikey.revoke"}}, headers=admin)
    assert len(revokes["data"]["auditLog"]["edges"]) == 1
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    none = await gql(client, query, {"filter": {"since": future}}, headers=admin)
    assert none["data"]["auditLog"]["edges"] == []
    bad = await gql(client, query, {"after": "garbage"}, headers=admin, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
