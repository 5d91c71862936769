"""Data and callers for the API tests, made through the real services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.access import keys as key_service
from shared.audit import Actor
from shared.cooperatives import service
from shared.models import (
    Officer,
    OfficerRole,
    OutletType,
    Region,
    RegionKind,
    RegionLevel,
    Role,
    Stage,
)

STEWARD = Actor(name="test-steward")

# Kaltim villages used by the tests (names as in the official list).
LEMPAKE = "64.72.05.1003"  # kelurahan, Kota Samarinda, national model
PASIR_BELENGKONG = "64.01.03.2006"  # desa, Kab. Paser, national model
SIDUUNG_INDAH = "64.03.04.2013"  # desa, Kab. Berau: the merger
BATU_RAJANG = "64.03.04.2012"


@dataclass(frozen=True)
class Keys:
    tokens: dict[str, str]

    def headers(self, name: str) -> dict[str, str]:
        if name == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def make_keys(db: Any) -> Keys:
    tokens: dict[str, str] = {}
    with db.transaction() as session:
        for name, role, province in (
            ("partner", Role.partner, None),
            ("partner64", Role.partner, "64"),
            ("operations", Role.operations, None),
            ("admin", Role.admin, None),
        ):
            issued = key_service.create_key(
                session, STEWARD, name=name, role=role, province_code=province
            )
            tokens[name] = issued.token
    return Keys(tokens)


def seed_cooperatives(db: Any) -> dict[str, int]:
    """Three cooperatives, as the announcement describes them, with profiles."""
    with db.transaction() as session:
        lempake = service.register_cooperative(
            session,
            STEWARD,
            name="Koperasi Kelurahan Merah Putih Lempake",
            village_codes=[LEMPAKE],
            is_mockup=True,
            stage=Stage.operational,
            registry_id="REG-LEMPAKE",
        )
        service.update_cooperative(
            session,
            STEWARD,
            lempake.id,
            {
                "sk_ahu_number": "AHU-0001.AH.01.29.2025",
                "sk_ahu_date": date(2025, 6, 2),
                "nik_koperasi": "6472050001",
                "npwp": "01.234.567.8-722.000",
                "nib": "1234567890123",
                "bank_name": "BRI",
                "bank_account_number": "0001-01-000001-30-1",
                "business_proposal_approved_on": date(2025, 7, 1),
                "member_count": 120,
            },
        )
        service.add_outlet(session, STEWARD, lempake.id, OutletType.grocery, kbli="47111")
        service.add_outlet(session, STEWARD, lempake.id, OutletType.pharmacy)
        session.add_all(
            [
                Officer(
                    cooperative_id=lempake.id,
                    role=OfficerRole.chair,
                    name="Siti Aminah",
                    term_start=date(2025, 6, 1),
                    term_end=date(2030, 5, 31),
                ),
                Officer(cooperative_id=lempake.id, role=OfficerRole.treasurer, name="Budi"),
            ]
        )
        paser = service.register_cooperative(
            session,
            STEWARD,
            name="Koperasi Desa Merah Putih Pasir Belengkong",
            village_codes=[PASIR_BELENGKONG],
            is_mockup=True,
            stage=Stage.legal_entity,
        )
        merger = service.register_cooperative(
            session,
            STEWARD,
            name="Koperasi Merah Putih Sindu Batu Raja",
            village_codes=[SIDUUNG_INDAH, BATU_RAJANG],
        )
        return {"lempake": lempake.id, "paser": paser.id, "merger": merger.id}


def add_outside_province(db: Any) -> int:
    """A cooperative in a made-up province 99 (outside a Kaltim-scoped key)."""
    from shared.models import Edition

    with db.transaction() as session:
        edition = session.query(Edition).filter_by(is_current=True).one()
        parent = None
        for code, level, kind in (
            ("99", RegionLevel.province, None),
            ("99.01", RegionLevel.regency, RegionKind.kabupaten),
            ("99.01.01", RegionLevel.district, None),
            ("99.01.01.2001", RegionLevel.village, RegionKind.desa),
        ):
            region = Region(
                code=code,
                level=level,
                name=f"Test {code}",
                kind=kind,
                parent_id=parent,
                province_code="99",
                regency_code=code[:5] if len(code) >= 5 else None,
                district_code=code[:8] if len(code) >= 8 else None,
                first_edition_id=edition.id,
            )
            session.add(region)
            session.flush()
            parent = region.id
        coop = service.register_cooperative(
            session, STEWARD, name="Koperasi Desa Merah Putih Luar", village_codes=["99.01.01.2001"]
        )
        return coop.id


def recompute(db: Any) -> None:
    from api.loaders import COVERAGE_CACHE
    from shared.coverage.service import recompute as run

    with db.transaction() as session:
        run(session)
    COVERAGE_CACHE.clear()


def global_id(type_name: str, key: object) -> str:
    from api.schema.common import global_id as make

    return str(make(type_name, key))
