"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 20:31:11.835304
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import shared.models.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "anonymous",
                "partner",
                "operations",
                "admin",
                name="api_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("created_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("role <> 'anonymous'", name=op.f("ck_api_keys_not_anonymous")),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_api_keys_name_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "cooperatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "KDMP", "KKMP", name="cooperative_kind", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column(
            "scheme",
            sa.Enum(
                "new",
                "development",
                "revitalisation",
                name="cooperative_scheme",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "stage",
            sa.Enum(
                "deliberation",
                "founding_meeting",
                "notarial_deed",
                "legal_entity",
                "cooperative_id",
                "business_ids",
                "bank_account",
                "operational",
                name="cooperative_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("stage_rank", sa.Integer(), nullable=False),
        sa.Column("sk_ahu_number", sa.String(length=100), nullable=True),
        sa.Column("sk_ahu_date", sa.Date(), nullable=True),
        sa.Column("akta_number", sa.String(length=100), nullable=True),
        sa.Column("akta_date", sa.Date(), nullable=True),
        sa.Column("notary_name", sa.String(length=200), nullable=True),
        sa.Column("nik_koperasi", sa.String(length=32), nullable=True),
        sa.Column("nib", sa.String(length=32), nullable=True),
        sa.Column("npwp", sa.String(length=32), nullable=True),
        sa.Column("bank_name", sa.String(length=100), nullable=True),
        sa.Column("bank_account_number", sa.String(length=64), nullable=True),
        sa.Column("business_proposal_approved_on", sa.Date(), nullable=True),
        sa.Column("is_mockup", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=True),
        sa.Column("created_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_cooperatives_name_not_empty")),
        sa.CheckConstraint(
            "member_count IS NULL OR member_count >= 0",
            name=op.f("ck_cooperatives_members_not_negative"),
        ),
        sa.CheckConstraint(
            "stage_rank BETWEEN 0 AND 7", name=op.f("ck_cooperatives_stage_rank_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cooperatives")),
        sa.UniqueConstraint("nib", name=op.f("uq_cooperatives_nib")),
        sa.UniqueConstraint("nik_koperasi", name=op.f("uq_cooperatives_nik_koperasi")),
        sa.UniqueConstraint("npwp", name=op.f("uq_cooperatives_npwp")),
        sa.UniqueConstraint("registry_id", name=op.f("uq_cooperatives_registry_id")),
        sa.UniqueConstraint("sk_ahu_number", name=op.f("uq_cooperatives_sk_ahu_number")),
    )
    with op.batch_alter_table("cooperatives", schema=None) as batch_op:
        batch_op.create_index("ix_cooperatives_kind", ["kind"], unique=False)
        batch_op.create_index("ix_cooperatives_name", ["name"], unique=False)
        batch_op.create_index("ix_cooperatives_stage_rank", ["stage_rank"], unique=False)

    op.create_table(
        "coverage_figures",
        sa.Column("scope_code", sa.String(length=13), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("active_villages", sa.Integer(), nullable=False),
        sa.Column("desa_count", sa.Integer(), nullable=False),
        sa.Column("kelurahan_count", sa.Integer(), nullable=False),
        sa.Column("covered_villages", sa.Integer(), nullable=False),
        sa.Column("covered_formed", sa.Integer(), nullable=False),
        sa.Column("covered_legal_entity", sa.Integer(), nullable=False),
        sa.Column("covered_operational", sa.Integer(), nullable=False),
        sa.Column("coverage_percent", sa.Float(), nullable=False),
        sa.Column("cooperatives", sa.Integer(), nullable=False),
        sa.Column("kdmp", sa.Integer(), nullable=False),
        sa.Column("kkmp", sa.Integer(), nullable=False),
        sa.Column("mergers", sa.Integer(), nullable=False),
        sa.Column("mockups", sa.Integer(), nullable=False),
        sa.Column("retired_villages_with_cooperatives", sa.Integer(), nullable=False),
        sa.Column("proposals_total", sa.Integer(), nullable=False),
        sa.Column("proposals_submitted", sa.Integer(), nullable=False),
        sa.Column("proposals_approved", sa.Integer(), nullable=False),
        sa.Column("proposals_rejected", sa.Integer(), nullable=False),
        sa.Column("proposals_formed", sa.Integer(), nullable=False),
        sa.Column(
            "outlets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('nation', 'province', 'regency', 'district', 'village')",
            name=op.f("ck_coverage_figures_level_known"),
        ),
        sa.PrimaryKeyConstraint("scope_code", name=op.f("pk_coverage_figures")),
    )
    with op.batch_alter_table("coverage_figures", schema=None) as batch_op:
        batch_op.create_index("ix_coverage_figures_level", ["level"], unique=False)

    op.create_table(
        "coverage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_code", sa.String(length=13), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("active_villages", sa.Integer(), nullable=False),
        sa.Column("desa_count", sa.Integer(), nullable=False),
        sa.Column("kelurahan_count", sa.Integer(), nullable=False),
        sa.Column("covered_villages", sa.Integer(), nullable=False),
        sa.Column("covered_formed", sa.Integer(), nullable=False),
        sa.Column("covered_legal_entity", sa.Integer(), nullable=False),
        sa.Column("covered_operational", sa.Integer(), nullable=False),
        sa.Column("coverage_percent", sa.Float(), nullable=False),
        sa.Column("cooperatives", sa.Integer(), nullable=False),
        sa.Column("kdmp", sa.Integer(), nullable=False),
        sa.Column("kkmp", sa.Integer(), nullable=False),
        sa.Column("mergers", sa.Integer(), nullable=False),
        sa.Column("mockups", sa.Integer(), nullable=False),
        sa.Column("retired_villages_with_cooperatives", sa.Integer(), nullable=False),
        sa.Column("proposals_total", sa.Integer(), nullable=False),
        sa.Column("proposals_submitted", sa.Integer(), nullable=False),
        sa.Column("proposals_approved", sa.Integer(), nullable=False),
        sa.Column("proposals_rejected", sa.Integer(), nullable=False),
        sa.Column("proposals_formed", sa.Integer(), nullable=False),
        sa.Column(
            "outlets",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("computed_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IN ('nation', 'province', 'regency', 'district', 'village')",
            name=op.f("ck_coverage_snapshots_level_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_snapshots")),
    )
    with op.batch_alter_table("coverage_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coverage_snapshots_scope_time", ["scope_code", "computed_at"], unique=False
        )

    op.create_table(
        "data_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "coverage_version", sa.BigInteger(), server_default=sa.text("(-1)"), nullable=False
        ),
        sa.Column(
            "coverage_requested_version",
            sa.BigInteger(),
            server_default=sa.text("(-1)"),
            nullable=False,
        ),
        sa.Column("changed_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "coverage_computed_at", shared.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_state")),
    )
    op.create_table(
        "editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("decree", sa.String(length=128), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column("imported_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("is_current", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editions")),
        sa.UniqueConstraint("label", name=op.f("uq_editions_label")),
    )
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.create_index(
            "uq_editions_current",
            ["is_current"],
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.Column("target_type", sa.String(length=50), nullable=True),
        sa.Column("target_id", sa.String(length=100), nullable=True),
        sa.Column(
            "before",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "after",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_audit_log_api_key_id_api_keys"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_api_key_id", ["api_key_id"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_operation", ["operation"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target_type", "target_id"], unique=False)

    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "villages",
                "cooperatives",
                "coverage",
                name="job_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                name="job_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "phase",
            sa.Enum(
                "queued",
                "reading",
                "validating",
                "comparing",
                "writing",
                "done",
                name="job_phase",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=True),
        sa.Column("source_name", sa.String(length=300), nullable=True),
        sa.Column("source_sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("rows_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "diff",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("warning_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "warnings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "timings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("edition_id", sa.Integer(), nullable=True),
        sa.Column("created_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", shared.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("rows_done >= 0", name=op.f("ck_import_jobs_rows_done_not_negative")),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_import_jobs_edition_id_editions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_import_jobs_created_at", ["created_at"], unique=False)
        batch_op.create_index("ix_import_jobs_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index("ix_import_jobs_sha", ["kind", "source_sha256"], unique=False)

    op.create_table(
        "member_counts",
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.CheckConstraint("members >= 0", name=op.f("ck_member_counts_members_not_negative")),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_member_counts_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cooperative_id", "as_of", name=op.f("pk_member_counts")),
    )
    op.create_table(
        "officers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "chair",
                "vice_chair",
                "secretary",
                "treasurer",
                "supervisor_chair",
                "supervisor",
                "manager",
                name="officer_role",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=True),
        sa.Column("term_end", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "term_end IS NULL OR term_start IS NULL OR term_end >= term_start",
            name=op.f("ck_officers_term_order"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_officers_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_officers")),
    )
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.create_index("ix_officers_cooperative_id", ["cooperative_id"], unique=False)

    op.create_table(
        "outlets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "grocery",
                "pharmacy",
                "office",
                "savings_loans",
                "clinic",
                "cold_storage",
                "logistics",
                name="outlet_type",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("kbli", sa.String(length=5), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "operating",
                "closed",
                name="outlet_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "kbli IS NULL OR length(kbli) = 5", name=op.f("ck_outlets_kbli_five_digits")
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_outlets_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
        sa.UniqueConstraint(
            "cooperative_id", "type", "kbli", name=op.f("uq_outlets_cooperative_id_type_kbli")
        ),
    )
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.create_index("ix_outlets_cooperative_id", ["cooperative_id"], unique=False)
        batch_op.create_index("ix_outlets_type", ["type"], unique=False)

    op.create_table(
        "regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "regency",
                "district",
                "village",
                name="region_level",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "kabupaten",
                "kota",
                "desa",
                "kelurahan",
                name="region_kind",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("customary", sa.Boolean(), server_default=sa.text("(false)"), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("regency_code", sa.String(length=5), nullable=True),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("first_edition_id", sa.Integer(), nullable=False),
        sa.Column("last_edition_id", sa.Integer(), nullable=False),
        sa.Column("retired_edition_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(level = 'province' AND length(code) = 2) OR (level = 'regency' AND length(code) = 5) OR (level = 'district' AND length(code) = 8) OR (level = 'village' AND length(code) = 13)",
            name=op.f("ck_regions_code_matches_level"),
        ),
        sa.CheckConstraint(
            "(level = 'province') = (parent_id IS NULL)",
            name=op.f("ck_regions_parent_unless_province"),
        ),
        sa.CheckConstraint(
            "(level = 'regency' AND kind IN ('kabupaten', 'kota')) OR (level = 'village' AND kind IN ('desa', 'kelurahan')) OR (level IN ('province', 'district') AND kind IS NULL)",
            name=op.f("ck_regions_kind_matches_level"),
        ),
        sa.CheckConstraint("length(name) > 0", name=op.f("ck_regions_name_not_empty")),
        sa.ForeignKeyConstraint(
            ["first_edition_id"],
            ["editions.id"],
            name=op.f("fk_regions_first_edition_id_editions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["last_edition_id"],
            ["editions.id"],
            name=op.f("fk_regions_last_edition_id_editions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["regions.id"],
            name=op.f("fk_regions_parent_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["retired_edition_id"],
            ["editions.id"],
            name=op.f("fk_regions_retired_edition_id_editions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_regions")),
        sa.UniqueConstraint("code", name=op.f("uq_regions_code")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index("ix_regions_district_code", ["district_code"], unique=False)
        batch_op.create_index("ix_regions_level_province", ["level", "province_code"], unique=False)
        batch_op.create_index("ix_regions_parent_id", ["parent_id"], unique=False)
        batch_op.create_index("ix_regions_regency_code", ["regency_code"], unique=False)
        batch_op.create_index("ix_regions_retired_edition_id", ["retired_edition_id"], unique=False)

    op.create_table(
        "stage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "deliberation",
                "founding_meeting",
                "notarial_deed",
                "legal_entity",
                "cooperative_id",
                "business_ids",
                "bank_account",
                "operational",
                name="stage_event_stage",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reached_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_stage_events_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_events")),
        sa.UniqueConstraint(
            "cooperative_id", "stage", name=op.f("uq_stage_events_cooperative_id_stage")
        ),
    )
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.create_index("ix_stage_events_cooperative_id", ["cooperative_id"], unique=False)

    op.create_table(
        "cooperative_villages",
        sa.Column("cooperative_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_cooperative_villages_cooperative_id_cooperatives"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["regions.id"],
            name=op.f("fk_cooperative_villages_village_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint(
            "cooperative_id", "village_id", name=op.f("pk_cooperative_villages")
        ),
        sa.UniqueConstraint("village_id", name=op.f("uq_cooperative_villages_village_id")),
    )
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("regency_code", sa.String(length=5), nullable=True),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("proposed_name", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "submitted",
                "approved",
                "rejected",
                "formed",
                name="proposal_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("cooperative_id", sa.Integer(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", shared.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'formed' OR cooperative_id IS NOT NULL",
            name=op.f("ck_proposals_formed_has_cooperative"),
        ),
        sa.ForeignKeyConstraint(
            ["cooperative_id"],
            ["cooperatives.id"],
            name=op.f("fk_proposals_cooperative_id_cooperatives"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_proposals_region_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint("external_id", name=op.f("uq_proposals_external_id")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_proposals_province_status", ["province_code", "status"], unique=False
        )
        batch_op.create_index("ix_proposals_region_id", ["region_id"], unique=False)

    op.create_table(
        "region_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("old_name", sa.String(length=200), nullable=True),
        sa.Column("new_name", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "change IN ('added', 'renamed', 'retired', 'reinstated', 'recoded')",
            name=op.f("ck_region_changes_change_known"),
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["editions.id"],
            name=op.f("fk_region_changes_edition_id_editions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["regions.id"],
            name=op.f("fk_region_changes_region_id_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_changes")),
        sa.UniqueConstraint(
            "edition_id",
            "region_id",
            "change",
            name=op.f("uq_region_changes_edition_id_region_id_change"),
        ),
    )
    with op.batch_alter_table("region_changes", schema=None) as batch_op:
        batch_op.create_index("ix_region_changes_region_id", ["region_id"], unique=False)

    op.create_table(
        "proposal_villages",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_villages_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["village_id"],
            ["regions.id"],
            name=op.f("fk_proposal_villages_village_id_regions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "village_id", name=op.f("pk_proposal_villages")),
    )
    # The single row that versions the data (see shared.models.DataState).
    op.execute(
        "INSERT INTO data_state (id, data_version, coverage_version,"
        " coverage_requested_version, changed_at) VALUES (1, 0, -1, -1, CURRENT_TIMESTAMP)"
    )


def downgrade() -> None:

    op.drop_table("proposal_villages")
    with op.batch_alter_table("region_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_region_changes_region_id")

    op.drop_table("region_changes")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_proposals_region_id")
        batch_op.drop_index("ix_proposals_province_status")

    op.drop_table("proposals")
    op.drop_table("cooperative_villages")
    with op.batch_alter_table("stage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_events_cooperative_id")

    op.drop_table("stage_events")
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index("ix_regions_retired_edition_id")
        batch_op.drop_index("ix_regions_regency_code")
        batch_op.drop_index("ix_regions_parent_id")
        batch_op.drop_index("ix_regions_level_province")
        batch_op.drop_index("ix_regions_district_code")

    op.drop_table("regions")
    with op.batch_alter_table("outlets", schema=None) as batch_op:
        batch_op.drop_index("ix_outlets_type")
        batch_op.drop_index("ix_outlets_cooperative_id")

    op.drop_table("outlets")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_index("ix_officers_cooperative_id")

    op.drop_table("officers")
    op.drop_table("member_counts")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_jobs_sha")
        batch_op.drop_index("ix_import_jobs_kind_status")
        batch_op.drop_index("ix_import_jobs_created_at")

    op.drop_table("import_jobs")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_target")
        batch_op.drop_index("ix_audit_log_operation")
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_api_key_id")

    op.drop_table("audit_log")
    with op.batch_alter_table("editions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_editions_current",
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        )

    op.drop_table("editions")
    op.drop_table("data_state")
    with op.batch_alter_table("coverage_snapshots", schema=None) as batch_op:
        batch_op.drop_index("ix_coverage_snapshots_scope_time")

    op.drop_table("coverage_snapshots")
    with op.batch_alter_table("coverage_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_coverage_figures_level")

    op.drop_table("coverage_figures")
    with op.batch_alter_table("cooperatives", schema=None) as batch_op:
        batch_op.drop_index("ix_cooperatives_stage_rank")
        batch_op.drop_index("ix_cooperatives_name")
        batch_op.drop_index("ix_cooperatives_kind")

    op.drop_table("cooperatives")
    op.drop_table("api_keys")
