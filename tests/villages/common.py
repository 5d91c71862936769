"""Helpers for the village-list tests: paths of the test data, counting what the database holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from shared.db import Database
from shared.models import (
    Cooperative,
    CooperativeKind,
    CooperativeVillage,
    Edition,
    Region,
    RegionLevel,
    Scheme,
    Stage,
    link_codes,
)
from shared.villages.service import EditionInfo

DATA = Path(__file__).resolve().parent.parent / "data"
WILAYAH_2022 = DATA / "wilayah" / "2022-64"
WILAYAH_2025 = DATA / "wilayah" / "2025-64"
VILLAGES = DATA / "villages"
BAD = VILLAGES / "bad"
FORMS = VILLAGES / "forms"

E2022 = EditionInfo("2022", "Kepmendagri 100.1.1-6117/2022")
E2025 = EditionInfo("2025", "Kepmendagri 300.2.2-2138/2025")


def region_names(db: Database) -> dict[str, str]:
    with db.sync_session() as session:
        return dict(session.execute(select(Region.code, Region.name)).all())


def region_count(db: Database, level: RegionLevel | None = None, *, active: bool = True) -> int:
    query = select(func.count()).select_from(Region)
    if level is not None:
        query = query.where(Region.level == level)
    if active:
        query = query.where(Region.retired_edition_id.is_(None))
    with db.sync_session() as session:
        return int(session.execute(query).scalar_one())


def current_edition(db: Database) -> str | None:
    with db.sync_session() as session:
        return session.execute(select(Edition.label).where(Edition.is_current)).scalar_one_or_none()


def add_cooperative(db: Database, village_code: str, name: str = "Koperasi Merah Putih") -> int:
    with db.transaction() as session:
        village_id = session.execute(
            select(Region.id).where(Region.code == village_code)
        ).scalar_one()
        coop = Cooperative(
            name=name,
            kind=CooperativeKind.kkmp,
            scheme=Scheme.new,
            stage=Stage.legal_entity,
            stage_rank=3,
        )
        session.add(coop)
        session.flush()
        session.add(
            CooperativeVillage(
                cooperative_id=coop.id, village_id=village_id, **link_codes(village_code)
            )
        )
        return coop.id


def village_of_cooperative(db: Database, cooperative_id: int) -> str:
    with db.sync_session() as session:
        return session.execute(
            select(Region.code)
            .join(CooperativeVillage, CooperativeVillage.village_id == Region.id)
            .where(CooperativeVillage.cooperative_id == cooperative_id)
        ).scalar_one()


def write_edition(folder: Path, source: Path, edit: Any = None) -> Path:
    """Copy a per-level edition folder, letting ``edit(name, lines)`` change each file's lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if edit is not None:
            lines = edit(path.name, lines)
        (folder / path.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
