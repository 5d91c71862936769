"""A link between a cooperative and a village carries the village's province, regency and
district codes (what region filters and the partner scope read): every writer of a link sets
them, and they follow a village re-coded by an edition into another district."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from shared.models import CooperativeVillage, JobStatus, Region
from shared.registry.service import import_now as import_registry
from shared.villages.service import EditionInfo
from shared.villages.service import import_now as import_villages
from tests.api.conftest import DATA
from tests.api.support import BATU_RAJANG, LEMPAKE, PASIR_BELENGKONG, Keys
from tests.registry.support import coop, write_rows
from tests.support import gql
from tests.villages.common import add_cooperative, write_edition

SAMARINDA_ILIR = "64.72.04"  # another district of Kota Samarinda


def stored_codes(db: Any) -> dict[str, tuple[str, str, str]]:
    """Village code -> the codes stored on its link, for every link."""
    with db.sync_session() as session:
        rows = session.execute(
            select(
                Region.code,
                CooperativeVillage.province_code,
                CooperativeVillage.regency_code,
                CooperativeVillage.district_code,
            ).join(Region, Region.id == CooperativeVillage.village_id)
        ).all()
    return {code: (p, r, d) for code, p, r, d in rows}


async def test_register_and_link_mutations_store_the_villages_codes(
    client: httpx.AsyncClient, keys: Keys, kaltim: Any
) -> None:
    admin = keys.headers("admin")
    registered = await gql(
        client,
        """mutation($input: RegisterCooperativeInput!) { registerCooperative(input: $input) {
             cooperative { id } userErrors { field } } }""",
        {"input": {"name": "Koperasi Desa Merah Putih Batu Rajang", "villageCodes": [BATU_RAJANG]}},
        headers=admin,
    )
    coop_id = registered["data"]["registerCooperative"]["cooperative"]["id"]
    assert stored_codes(kaltim) == {BATU_RAJANG: ("64", "64.03", "64.03.04")}

    linked = await gql(
        client,
        """mutation($input: LinkCooperativeVillagesInput!) {
             linkCooperativeVillages(input: $input) { userErrors { field } } }""",
        {"input": {"cooperativeId": coop_id, "link": [PASIR_BELENGKONG]}},
        headers=admin,
    )
    assert linked["data"]["linkCooperativeVillages"]["userErrors"] == []
    assert stored_codes(kaltim) == {
        BATU_RAJANG: ("64", "64.03", "64.03.04"),
        PASIR_BELENGKONG: ("64", "64.01", "64.01.03"),
    }


def test_the_registry_import_stores_the_villages_codes(kaltim: Any, tmp_path: Path) -> None:
    rows = [coop(LEMPAKE, "R-1"), coop(f"{BATU_RAJANG};64.03.04.2013", "R-2")]
    job = import_registry(kaltim, write_rows(tmp_path / "registry.csv", rows))
    assert job.status == JobStatus.succeeded, job.errors
    assert stored_codes(kaltim) == {
        LEMPAKE: ("64", "64.72", "64.72.05"),
        BATU_RAJANG: ("64", "64.03", "64.03.04"),
        "64.03.04.2013": ("64", "64.03", "64.03.04"),
    }
    # The same cooperative moved to another village by the next file takes that one's codes.
    moved = import_registry(
        kaltim, write_rows(tmp_path / "again.csv", [coop(PASIR_BELENGKONG, "R-1"), rows[1]])
    )
    assert moved.status == JobStatus.succeeded, moved.errors
    assert stored_codes(kaltim)[PASIR_BELENGKONG] == ("64", "64.01", "64.01.03")
    assert LEMPAKE not in stored_codes(kaltim)


def test_a_village_recoded_into_another_district_moves_its_links_codes(
    kaltim: Any, tmp_path: Path
) -> None:
    add_cooperative(kaltim, LEMPAKE)
    new_code = f"{SAMARINDA_ILIR}.1099"

    def recode(name: str, lines: list[str]) -> list[str]:
        return [
            f"{new_code},{SAMARINDA_ILIR},Lempake,kelurahan" if line.startswith(LEMPAKE) else line
            for line in lines
        ]

    edition = write_edition(tmp_path / "2026", DATA / "2025-64", recode)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(f"old_code,new_code\n{LEMPAKE},{new_code}\n", encoding="utf-8")
    job = import_villages(kaltim, [edition], edition=EditionInfo("2026"), mapping=mapping)
    assert job.status == JobStatus.succeeded, (job.message, job.errors)
    assert job.counts["recoded"] == 1
    assert stored_codes(kaltim) == {new_code: ("64", "64.72", SAMARINDA_ILIR)}
