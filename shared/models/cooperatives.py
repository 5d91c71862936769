"""Cooperatives, the villages they cover, and what the registry knows about them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, UTCDateTime, str_enum, utcnow
from shared.models.enums import (
    CooperativeKind,
    OfficerRole,
    OutletStatus,
    OutletType,
    ProposalStatus,
    Scheme,
    Stage,
)

# A cooperative's legal and business facts beyond its name, in the order forms list them:
# what a partner's profile shows, and what stewards and registry files set.
PROFILE_COLUMNS = (
    "sk_ahu_number",
    "sk_ahu_date",
    "akta_number",
    "akta_date",
    "notary_name",
    "nik_koperasi",
    "nib",
    "npwp",
    "bank_name",
    "bank_account_number",
    "business_proposal_approved_on",
)


class Cooperative(Base):
    """A KDMP or KKMP: one cooperative, covering one village or several (a merger)."""

    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[CooperativeKind] = mapped_column(str_enum(CooperativeKind, "cooperative_kind"))
    scheme: Mapped[Scheme] = mapped_column(str_enum(Scheme, "cooperative_scheme"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "cooperative_stage"))
    stage_rank: Mapped[int] = mapped_column(Integer)  # STAGE_ORDER[stage], for range filters
    # Legal identifiers.
    sk_ahu_number: Mapped[str | None] = mapped_column(String(100), unique=True)
    sk_ahu_date: Mapped[date | None] = mapped_column(Date)
    akta_number: Mapped[str | None] = mapped_column(String(100))
    akta_date: Mapped[date | None] = mapped_column(Date)
    notary_name: Mapped[str | None] = mapped_column(String(200))
    nik_koperasi: Mapped[str | None] = mapped_column(String(32), unique=True)
    nib: Mapped[str | None] = mapped_column(String(32), unique=True)
    npwp: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Financing prerequisites beyond identifiers (PMK 49/2025).
    bank_name: Mapped[str | None] = mapped_column(String(100))
    bank_account_number: Mapped[str | None] = mapped_column(String(64))
    business_proposal_approved_on: Mapped[date | None] = mapped_column(Date)
    is_mockup: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    member_count: Mapped[int | None] = mapped_column(Integer)  # latest of member_counts
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic concurrency for API writes.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))

    villages: Mapped[list[CooperativeVillage]] = relationship(
        back_populates="cooperative", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    __table_args__ = (
        CheckConstraint("length(name) > 0", name="name_not_empty"),
        CheckConstraint("stage_rank BETWEEN 0 AND 7", name="stage_rank_range"),
        CheckConstraint("member_count IS NULL OR member_count >= 0", name="members_not_negative"),
        Index("ix_cooperatives_stage_rank", "stage_rank"),
        Index("ix_cooperatives_kind", "kind"),
        Index("ix_cooperatives_name", "name"),
    )


class CooperativeVillage(Base):
    """A village covered by a cooperative. The registry may file several cooperatives for one
    village: all are stored, the village counts as covered once (``shared.coverage``), and the
    village is listed as a data-quality finding (``shared.findings``).

    The village's province, regency and district codes ride along (``link_codes``), so "the
    cooperatives of regency 64.72" and a partner's province scope are one range of an index
    on this table, with no join to ``regions``. A village row's code never changes (a re-coded
    village is a new row, and the link moves to it), so the codes change only with
    ``village_id``: every writer of that column sets them (the register and link services,
    the registry import, an edition's re-codes).
    """

    __tablename__ = "cooperative_villages"

    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True
    )
    village_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), primary_key=True
    )
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str] = mapped_column(String(5))
    district_code: Mapped[str] = mapped_column(String(8))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cooperative: Mapped[Cooperative] = relationship(back_populates="villages", lazy="raise")

    __table_args__ = (
        Index("ix_cooperative_villages_village_id", "village_id"),
        # (code, cooperative) pairs: the ids of a region's cooperatives by an index-only scan.
        Index("ix_cooperative_villages_province", "province_code", "cooperative_id"),
        Index("ix_cooperative_villages_regency", "regency_code", "cooperative_id"),
        Index("ix_cooperative_villages_district", "district_code", "cooperative_id"),
    )


def link_codes(village_code: str) -> dict[str, str]:
    """The region codes a link to this village carries (columns of ``cooperative_villages``)."""
    return {
        "province_code": village_code[:2],
        "regency_code": village_code[:5],
        "district_code": village_code[:8],
    }


class UnplacedRegistryRow(Base):
    """A row of a name-keyed registry file whose place could not be reconciled (misfiled,
    unknown, ambiguous): kept as a data-quality finding, never counted in a region. Each
    import of a source replaces that source's rows."""

    __tablename__ = "unplaced_registry_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("import_jobs.id", ondelete="SET NULL"))
    line: Mapped[int] = mapped_column(Integer)
    registry_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(300))
    cooperatives: Mapped[int] = mapped_column(Integer)  # 1 for a list row, N for a summary's
    place: Mapped[str] = mapped_column(String(900))  # the names as given, province first
    level: Mapped[str] = mapped_column(String(10))  # the level that failed
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    province_code: Mapped[str | None] = mapped_column(String(2))  # the province found
    region_code: Mapped[str | None] = mapped_column(String(13))  # the deepest level found
    candidate_code: Mapped[str | None] = mapped_column(String(13))  # misfiled: where it is
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("cooperatives >= 0", name="cooperatives_not_negative"),
        Index("ix_unplaced_registry_rows_source", "source"),
        Index("ix_unplaced_registry_rows_province_code", "province_code"),
    )


class StageEvent(Base):
    """A stage reached, with the date it was reached: the cooperative's history."""

    __tablename__ = "stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "stage_event_stage"))
    reached_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("cooperative_id", "stage"),
        Index("ix_stage_events_cooperative_id", "cooperative_id"),
    )


class Outlet(Base):
    """A business outlet (gerai) of a cooperative."""

    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    type: Mapped[OutletType] = mapped_column(str_enum(OutletType, "outlet_type"))
    kbli: Mapped[str | None] = mapped_column(String(5))
    status: Mapped[OutletStatus] = mapped_column(
        str_enum(OutletStatus, "outlet_status"), default=OutletStatus.operating
    )
    opened_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("kbli IS NULL OR length(kbli) = 5", name="kbli_five_digits"),
        UniqueConstraint("cooperative_id", "type", "kbli"),
        Index("ix_outlets_cooperative_id", "cooperative_id"),
        Index("ix_outlets_type", "type"),
    )


class Officer(Base):
    """An officer (pengurus or pengawas) with a term."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id", ondelete="CASCADE"))
    role: Mapped[OfficerRole] = mapped_column(str_enum(OfficerRole, "officer_role"))
    name: Mapped[str] = mapped_column(String(200))
    term_start: Mapped[date | None] = mapped_column(Date)
    term_end: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint(
            "term_end IS NULL OR term_start IS NULL OR term_end >= term_start", name="term_order"
        ),
        Index("ix_officers_cooperative_id", "cooperative_id"),
    )


class MemberCount(Base):
    """Members on a date: the series behind membership trends."""

    __tablename__ = "member_counts"

    cooperative_id: Mapped[int] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column(Date, primary_key=True)
    members: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("members >= 0", name="members_not_negative"),)


class Proposal(Base):
    """A region's proposal to form a new cooperative."""

    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    # Denormalised like regions', so counts per province/regency need no joins up the tree.
    province_code: Mapped[str] = mapped_column(String(2))
    regency_code: Mapped[str | None] = mapped_column(String(5))
    district_code: Mapped[str | None] = mapped_column(String(8))
    proposed_name: Mapped[str] = mapped_column(String(300))
    status: Mapped[ProposalStatus] = mapped_column(
        str_enum(ProposalStatus, "proposal_status"), default=ProposalStatus.submitted
    )
    cooperative_id: Mapped[int | None] = mapped_column(
        ForeignKey("cooperatives.id", ondelete="SET NULL")
    )
    submitted_on: Mapped[date | None] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "status <> 'formed' OR cooperative_id IS NOT NULL", name="formed_has_cooperative"
        ),
        Index("ix_proposals_region_id", "region_id"),
        Index("ix_proposals_province_status", "province_code", "status"),
    )


class ProposalVillage(Base):
    """Villages a proposal would cover."""

    __tablename__ = "proposal_villages"

    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True
    )
    village_id: Mapped[int] = mapped_column(
        ForeignKey("regions.id", ondelete="RESTRICT"), primary_key=True
    )
