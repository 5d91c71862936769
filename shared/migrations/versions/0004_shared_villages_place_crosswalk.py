"""several cooperatives per village; the place crosswalk; unplaced registry rows

The registry files more than one cooperative for some villages (Pidie: 751 cooperatives for
730 villages). ``cooperative_villages.village_id`` loses its unique constraint (an ordinary
index keeps the lookups by village); coverage counts such a village once.

``place_crosswalk`` keeps, per source, the official code each of the source's own place ids
was reconciled to, so the next snapshot is matched by id first (``shared.places``).

``unplaced_registry_rows`` keeps the rows of name-keyed registry files whose place could not
be reconciled (data-quality findings); ``import_jobs.reconciliation`` the reconciliation
report of such an import.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from shared.models.base import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cooperative_villages", schema=None) as batch_op:
        batch_op.drop_constraint("uq_cooperative_villages_village_id", type_="unique")
        batch_op.create_index("ix_cooperative_villages_village_id", ["village_id"], unique=False)
    op.create_table(
        "place_crosswalk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "province",
                "regency",
                "district",
                "village",
                name="crosswalk_level",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=13), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_crosswalk")),
        sa.UniqueConstraint(
            "source", "level", "source_id", name=op.f("uq_place_crosswalk_source_level_source_id")
        ),
    )

    op.create_table(
        "unplaced_registry_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("registry_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("cooperatives", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=900), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=True),
        sa.Column("region_code", sa.String(length=13), nullable=True),
        sa.Column("candidate_code", sa.String(length=13), nullable=True),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "cooperatives >= 0", name=op.f("ck_unplaced_registry_rows_cooperatives_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["import_jobs.id"],
            name=op.f("fk_unplaced_registry_rows_job_id_import_jobs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unplaced_registry_rows")),
    )
    op.create_index(
        "ix_unplaced_registry_rows_source", "unplaced_registry_rows", ["source"], unique=False
    )
    op.create_index(
        "ix_unplaced_registry_rows_province_code",
        "unplaced_registry_rows",
        ["province_code"],
        unique=False,
    )
    json_type = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reconciliation", json_type, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_column("reconciliation")
    op.drop_index("ix_unplaced_registry_rows_province_code", table_name="unplaced_registry_rows")
    op.drop_index("ix_unplaced_registry_rows_source", table_name="unplaced_registry_rows")
    op.drop_table("unplaced_registry_rows")
    op.drop_table("place_crosswalk")
    # Villages claimed twice keep their lowest cooperative id: the constraint comes back.
    op.execute(
        "DELETE FROM cooperative_villages WHERE EXISTS (SELECT 1 FROM cooperative_villages o"
        " WHERE o.village_id = cooperative_villages.village_id"
        " AND o.cooperative_id < cooperative_villages.cooperative_id)"
    )
    with op.batch_alter_table("cooperative_villages", schema=None) as batch_op:
        batch_op.drop_index("ix_cooperative_villages_village_id")
        batch_op.create_unique_constraint("uq_cooperative_villages_village_id", ["village_id"])
