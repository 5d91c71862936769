"""Editions of the official list and the regions in it.

A region row is keyed by a surrogate id and carries its official code, unique across all
editions. A code that disappears from a newer edition is *retired* (marked with that edition),
never deleted: cooperatives attached to a retired village must survive.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, UTCDateTime, str_enum, utcnow
from shared.models.enums import RegionKind, RegionLevel


class Edition(Base):
    """One edition of the official list (a Kepmendagri decree), imported once."""

    __tablename__ = "editions"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(64), unique=True)
    decree: Mapped[str | None] = mapped_column(String(128))
    published_on: Mapped[date | None] = mapped_column(Date)
    source_sha256: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    __table_args__ = (
        # At most one current edition.
        Index(
            "uq_editions_current",
            "is_current",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
    )


class Region(Base):
    """A province, regency, district or village of the official list."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "region_level"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RegionKind | None] = mapped_column(str_enum(RegionKind, "region_kind"))
    # Digit 3 villages (desa adat) are desa with this flag set.
    customary: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    # Ancestor codes, denormalised so that coverage and filters group without recursive joins.
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str | None] = mapped_column(String(5))
    district_code: Mapped[str | None] = mapped_column(String(8))
    first_edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="RESTRICT"))
    retired_edition_id: Mapped[int | None] = mapped_column(
        ForeignKey("editions.id", ondelete="RESTRICT")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Region | None] = relationship(remote_side=[id], lazy="raise")

    @property
    def retired(self) -> bool:
        return self.retired_edition_id is not None

    __table_args__ = (
        CheckConstraint(
            "(level = 'province' AND length(code) = 2)"
            " OR (level = 'regency' AND length(code) = 5)"
            " OR (level = 'district' AND length(code) = 8)"
            " OR (level = 'village' AND length(code) = 13)",
            name="code_matches_level",
        ),
        CheckConstraint(
            "(level = 'regency' AND kind IN ('kabupaten', 'kota'))"
            " OR (level = 'village' AND kind IN ('desa', 'kelurahan'))"
            " OR (level IN ('province', 'district') AND kind IS NULL)",
            name="kind_matches_level",
        ),
        CheckConstraint(
            "(level = 'province') = (parent_id IS NULL)", name="parent_unless_province"
        ),
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        Index("ix_regions_parent_id", "parent_id"),
        Index("ix_regions_level_province", "level", "province_code"),
        Index("ix_regions_regency_code", "regency_code"),
        Index("ix_regions_district_code", "district_code"),
        # Only retired regions: the ones ever looked up by it.
        Index(
            "ix_regions_retired_edition_id",
            "retired_edition_id",
            postgresql_where=text("retired_edition_id IS NOT NULL"),
            sqlite_where=text("retired_edition_id IS NOT NULL"),
        ),
    )


class RegionChange(Base):
    """What an edition changed for one region: the per-row diff, kept for operators."""

    __tablename__ = "region_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    change: Mapped[str] = mapped_column(String(16))
    old_name: Mapped[str | None] = mapped_column(String(200))
    new_name: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint(
            "change IN ('added', 'renamed', 'retired', 'reinstated', 'recoded')",
            name="change_known",
        ),
        UniqueConstraint("edition_id", "region_id", "change"),
        Index("ix_region_changes_region_id", "region_id"),
    )


class PlaceCrosswalk(Base):
    """A source's own place id and the official code it was reconciled to (``shared.places``):
    the next snapshot of that source is matched by id first. ``outcome`` says how the code
    was first decided (matched, matched_alias, ...), for review."""

    __tablename__ = "place_crosswalk"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(str_enum(RegionLevel, "crosswalk_level"))
    source_id: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(13))
    name: Mapped[str] = mapped_column(String(300), default="")
    outcome: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("source", "level", "source_id"),)


__all__ = ["Edition", "PlaceCrosswalk", "Region", "RegionChange"]
