"""The change feed through HTTP: what each change announces, in order, scoped like queries,
with cursors that survive and expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from shared.changes import prune
from shared.cooperatives import service
from shared.coverage.flow import recompute_now
from shared.models import AuditEntry, ChangeEvent, Stage, utcnow
from shared.villages.service import EditionInfo, import_now
from tests.api.support import STEWARD, Keys, add_outside_province, global_id
from tests.changes.support import FEED, kinds, read_feed, seq
from tests.support import gql


def coop_id(key: int) -> str:
    return global_id("Cooperative", key)


async def test_service_changes_are_announced_in_commit_order(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], kaltim: Any
) -> None:
    edges, _ = await read_feed(client, keys.headers("admin"), first=3)
    lempake, paser, merger = (
        coop_id(coops["lempake"]),
        coop_id(coops["paser"]),
        coop_id(coops["merger"]),
    )
    assert kinds(edges) == [
        ("cooperative_registered", lempake),
        ("cooperative_updated", lempake),
        ("outlet_added", lempake),
        ("outlet_added", lempake),
        ("cooperative_registered", paser),
        ("cooperative_registered", merger),
        ("merged", merger),
    ]
    assert [seq(e["cursor"]) for e in edges] == list(range(1, 8))
    assert set(edges[1]["node"]["fields"]) == {
        "skAhuNumber",
        "skAhuDate",
        "nikKoperasi",
        "npwp",
        "nib",
        "bankName",
        "bankAccountNumber",
        "businessProposalApprovedOn",
        "memberCount",
    }
    assert edges[2]["node"]["fields"] == ["outlets"]
    # Every change that made an event is in the audit log too.
    with kaltim.sync_session() as session:
        operations = session.execute(select(AuditEntry.operation).order_by(AuditEntry.id))
        audited = [op for (op,) in operations if op.startswith("cooperative.")]
    assert audited == [
        "cooperative.register",
        "cooperative.update",
        "cooperative.add_outlet",
        "cooperative.add_outlet",
        "cooperative.register",
        "cooperative.register",
    ]


async def test_a_cursor_continues_where_the_client_stopped(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], kaltim: Any
) -> None:
    admin = keys.headers("admin")
    first, cursor = await read_feed(client, admin)
    with kaltim.transaction() as session:
        service.record_stage(session, STEWARD, coops["paser"], Stage.cooperative_id)
    later, end = await read_feed(client, admin, cursor)
    assert kinds(later) == [("stage_recorded", coop_id(coops["paser"]))]
    assert later[0]["node"]["fields"] == ["stage", "stageHistory"]
    assert seq(later[0]["cursor"]) == seq(first[-1]["cursor"]) + 1
    again, same = await read_feed(client, admin, end)
    assert again == []
    assert same == end
    # Only some kinds: the cursor still moves past the others.
    stages, _ = await read_feed(client, admin, types=["stage_recorded"])
    assert kinds(stages) == kinds(later)


async def test_a_partner_sees_its_province_events_and_national_ones_only(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], kaltim: Any
) -> None:
    outside = add_outside_province(kaltim)
    recompute_now(kaltim)
    scoped, cursor = await read_feed(client, keys.headers("partner64"))
    everything, _ = await read_feed(client, keys.headers("partner"))
    outside_id = coop_id(outside)
    assert ("cooperative_registered", outside_id) in kinds(everything)
    assert all(entity != outside_id for _type, entity in kinds(scoped))
    assert kinds(scoped) == [k for k in kinds(everything) if k[1] != outside_id]
    assert kinds(scoped)[-1][0] == "coverage_recalculated"
    body = await gql(client, "{ changes { totalCount } }", headers=keys.headers("partner64"))
    assert body["data"]["changes"]["totalCount"] == len(scoped)
    # Changes elsewhere move a quiet partner's cursor on without showing it anything, so its
    # cursor keeps up with the retention window.
    with kaltim.transaction() as session:
        service.update_cooperative(session, STEWARD, outside, {"npwp": "9999"})
    quiet, moved = await read_feed(client, keys.headers("partner64"), cursor)
    assert quiet == []
    head = await gql(client, "{ changesCursor }", headers=keys.headers("partner64"))
    assert moved == head["data"]["changesCursor"]
    assert moved is not None
    assert cursor is not None
    assert seq(moved) == seq(cursor) + 1
    # No key: the feed is for partners.
    anonymous = await gql(client, "{ changes { totalCount } }", expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_cursor_older_than_the_retention_window_must_re_export(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], kaltim: Any
) -> None:
    admin = keys.headers("admin")
    edges, _ = await read_feed(client, admin)
    with kaltim.transaction() as session:
        old = utcnow() - timedelta(days=40)
        session.execute(update(ChangeEvent).where(ChangeEvent.seq <= 3).values(at=old))
        assert prune(session, timedelta(days=30)) == 3
    stale = await gql(
        client, FEED, {"after": edges[1]["cursor"]}, headers=admin, expect_errors=True
    )
    (error,) = stale["errors"]
    assert error["extensions"]["code"] == "CURSOR_EXPIRED"
    assert "fresh export" in error["message"]
    fresh, _ = await read_feed(client, admin, edges[2]["cursor"])
    assert kinds(fresh) == kinds(edges)[3:]
    oldest, _ = await read_feed(client, admin)
    assert kinds(oldest) == kinds(edges)[3:]
    unknown = await gql(client, FEED, {"after": _cursor(999)}, headers=admin, expect_errors=True)
    assert unknown["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def _cursor(number: int) -> str:
    from api.schema.changes import feed_cursor

    return feed_cursor(number)


async def test_an_edition_announces_its_renamed_villages(
    client: httpx.AsyncClient, db: Any
) -> None:
    from tests.api.conftest import DATA
    from tests.api.support import make_keys

    assert import_now(db, [DATA / "2022-64"], edition=EditionInfo("2022")).status == "succeeded"
    keys = make_keys(db)
    before, cursor = await read_feed(client, keys.headers("partner64"))
    assert before == []  # a first edition adds regions: nothing to announce
    assert import_now(db, [DATA / "2025-64"], edition=EditionInfo("2025")).status == "succeeded"
    edges, _ = await read_feed(client, keys.headers("partner64"), cursor)
    assert [e["node"]["type"] for e in edges] == ["village_renamed"] * 13
    codes = [e["node"]["entityId"] for e in edges]
    assert codes == sorted(codes, key=lambda g: _village_code(g))
    assert all(e["node"]["fields"] == ["name"] for e in edges)


def _village_code(global_id_text: str) -> str:
    from api.schema.common import parse_global_id

    type_name, code = parse_global_id(global_id_text)
    assert type_name == "Village"
    return code


@pytest.mark.parametrize("first", [0, 1])
async def test_an_empty_page_keeps_the_cursor(
    client: httpx.AsyncClient, keys: Keys, coops: dict[str, int], first: int
) -> None:
    body = await gql(client, FEED, {"first": first}, headers=keys.headers("partner"))
    page = body["data"]["changes"]
    assert len(page["edges"]) == first
    assert page["pageInfo"]["hasNextPage"] is True
