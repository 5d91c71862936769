"""Officers: the registry's ``officers`` column and the operations mutation fill them, the
profile shows them, and each change is audited and announced on the change feed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from shared.db import Database
from shared.models import AuditEntry, ChangeEvent, Officer, OfficerRole
from shared.registry.service import import_now
from tests.api.support import make_keys
from tests.registry.support import coop, load_villages, write_rows
from tests.support import gql

DESA_A = "64.01.01.2009"
DESA_B = "64.01.01.2010"
BOARD_A = "ketua:Siti Aminah:2025-07-01:2030-06-30;bendahara:Budi Santoso;pengawas:Rahmat"


@pytest.fixture
def villages(db: Database) -> Database:
    load_villages(db)
    return db


def _import(db: Database, tmp_path: Path, rows: list[dict[str, Any]]) -> Any:
    path = write_rows(tmp_path / f"registry-{len(list(tmp_path.iterdir()))}.csv", rows)
    return import_now(db, path)


def _board(db: Database) -> dict[str, set[tuple[Any, ...]]]:
    from shared.models import Cooperative

    with db.sync_session() as session:
        rows = session.execute(
            select(
                Cooperative.registry_id,
                Officer.role,
                Officer.name,
                Officer.term_start,
                Officer.term_end,
            ).join(Officer, Officer.cooperative_id == Cooperative.id)
        ).all()
    found: dict[str, set[tuple[Any, ...]]] = {}
    for registry_id, *officer in rows:
        found.setdefault(str(registry_id), set()).add(tuple(officer))
    return found


def _events(db: Database) -> list[tuple[str, str, str]]:
    with db.sync_session() as session:
        events = session.scalars(select(ChangeEvent).order_by(ChangeEvent.seq)).all()
        return [(e.type.value, e.entity_key, e.fields) for e in events]


def test_the_registry_imports_officers_with_their_terms(villages: Database, tmp_path: Path) -> None:
    rows = [coop(DESA_A, officers=BOARD_A), coop(DESA_B, officers="")]
    job = _import(villages, tmp_path, rows)
    assert job.status == "succeeded", job.errors
    assert job.counts["officers_written"] == 3
    assert _board(villages) == {
        f"R-{DESA_A}": {
            (OfficerRole.chair, "Siti Aminah", date(2025, 7, 1), date(2030, 6, 30)),
            (OfficerRole.treasurer, "Budi Santoso", None, None),
            (OfficerRole.supervisor, "Rahmat", None, None),
        }
    }
    registered = [e for e in _events(villages) if e[0] == "cooperative_registered"]
    assert len(registered) == 2

    # The same file again: nothing changes, nothing is announced.
    before = _events(villages)
    again = _import(villages, tmp_path, rows)
    assert again.message.startswith("nothing changed")
    assert _events(villages) == before

    # A new board for A; an empty cell leaves B's (none) as it is; a new NPWP for B.
    changed = [
        coop(DESA_A, officers="ketua:Dewi Lestari:2026-01-01"),
        coop(DESA_B, officers="", npwp="912345678901234"),
    ]
    third = _import(villages, tmp_path, changed)
    assert third.status == "succeeded", third.errors
    assert _board(villages)[f"R-{DESA_A}"] == {
        (OfficerRole.chair, "Dewi Lestari", date(2026, 1, 1), None)
    }
    new = [(kind, fields) for kind, _key, fields in _events(villages)[len(before) :]]
    assert sorted(new) == [("cooperative_updated", "npwp"), ("officers_recorded", "")]


def test_bad_officers_name_the_row_the_field_and_why(villages: Database, tmp_path: Path) -> None:
    rows = [
        coop(DESA_A, officers="presiden:Siti"),
        coop(DESA_B, officers="ketua:Budi:2026-01-01:2025-01-01;sekretaris:"),
    ]
    job = _import(villages, tmp_path, rows)
    assert job.status == "failed"
    assert [(e["line"], e["field"], e["code"]) for e in job.errors] == [
        (2, "officers", "bad_officers"),
        (3, "officers", "bad_term"),
        (3, "officers", "required"),
    ]
    assert _board(villages) == {}


RECORD = """mutation($input: RecordOfficersInput!) {
  recordOfficers(input: $input) {
    cooperative { version officers { role name termStart termEnd } }
    userErrors { code field message }
  }
}"""


async def test_operations_record_officers_and_partners_read_them(
    client: httpx.AsyncClient, villages: Database, tmp_path: Path
) -> None:
    assert _import(villages, tmp_path, [coop(DESA_A, officers=BOARD_A)]).status == "succeeded"
    keys = make_keys(villages)
    with villages.sync_session() as session:
        from shared.models import Cooperative

        coop_id = session.execute(select(Cooperative.id)).scalar_one()
    board = [
        {"role": "chair", "name": "  Siti   Aminah ", "termStart": "2025-07-01"},
        {"role": "supervisor_chair", "name": "Rahmat", "termEnd": "2030-06-30"},
    ]
    variables = {"input": {"cooperativeId": str(coop_id), "officers": board}}
    refused = await gql(
        client, RECORD, variables, headers=keys.headers("partner"), expect_errors=True
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    done = await gql(client, RECORD, variables, headers=keys.headers("operations"))
    payload = done["data"]["recordOfficers"]
    assert payload["userErrors"] == []
    assert payload["cooperative"]["officers"] == [
        {"role": "chair", "name": "Siti Aminah", "termStart": "2025-07-01", "termEnd": None},
        {"role": "supervisor_chair", "name": "Rahmat", "termStart": None, "termEnd": "2030-06-30"},
    ]
    with villages.sync_session() as session:
        (entry,) = session.scalars(
            select(AuditEntry).where(AuditEntry.operation == "cooperative.record_officers")
        ).all()
    assert entry.actor == "key:operations"
    assert entry.before is not None
    assert entry.after is not None
    assert len(entry.before["officers"]) == 3
    assert len(entry.after["officers"]) == 2
    assert _events(villages)[-1] == ("officers_recorded", str(coop_id), "officers")

    bad = [{"role": "chair", "name": "Siti", "termStart": "2026-01-01", "termEnd": "2025-01-01"}]
    variables = {"input": {"cooperativeId": str(coop_id), "officers": bad}}
    answer = await gql(client, RECORD, variables, headers=keys.headers("operations"))
    (error,) = answer["data"]["recordOfficers"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", "officers[0].termEnd")

    profile = "query($id: ID!) { cooperative(id: $id) { officers { role name } } }"
    seen = await gql(client, profile, {"id": str(coop_id)}, headers=keys.headers("partner"))
    assert seen["data"]["cooperative"]["officers"] == [
        {"role": "chair", "name": "Siti Aminah"},
        {"role": "supervisor_chair", "name": "Rahmat"},
    ]
