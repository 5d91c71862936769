"""change feed events; export jobs

The change feed (``shared.changes``): ``change_events``, numbered from
``data_state.change_seq`` under that row's lock, and the retention mark
``data_state.changes_pruned_through``. Jobs of kind ``export`` (``shared.exports``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGE_TYPES = (
    "cooperative_registered",
    "cooperative_updated",
    "stage_recorded",
    "villages_linked",
    "villages_unlinked",
    "outlet_added",
    "officers_recorded",
    "merged",
    "proposal_submitted",
    "proposal_decided",
    "village_retired",
    "village_renamed",
    "coverage_recalculated",
)
OLD_KINDS = ("villages", "cooperatives", "coverage")
NEW_KINDS = (*OLD_KINDS, "export")


def _kinds(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def upgrade() -> None:
    op.create_table(
        "change_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "type",
            sa.Enum(*CHANGE_TYPES, name="change_type", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("entity_type", sa.String(length=20), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("other_province_code", sa.String(length=2), nullable=True),
        sa.Column("fields", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("data_version", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_events")),
    )
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.create_index("ix_change_events_at", ["at"], unique=False)
        batch_op.create_index(
            "ix_change_events_province_seq", ["province_code", "seq"], unique=False
        )
    with op.batch_alter_table("data_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("change_seq", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "changes_pruned_through",
                sa.BigInteger(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_import_jobs_job_kind"), type_="check")
        batch_op.create_check_constraint("job_kind", sa.text(_kinds(NEW_KINDS)))


def downgrade() -> None:
    op.execute("DELETE FROM import_jobs WHERE kind = 'export'")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_import_jobs_job_kind"), type_="check")
        batch_op.create_check_constraint("job_kind", sa.text(_kinds(OLD_KINDS)))
    with op.batch_alter_table("data_state", schema=None) as batch_op:
        batch_op.drop_column("changes_pruned_through")
        batch_op.drop_column("change_seq")
    with op.batch_alter_table("change_events", schema=None) as batch_op:
        batch_op.drop_index("ix_change_events_province_seq")
        batch_op.drop_index("ix_change_events_at")
    op.drop_table("change_events")
