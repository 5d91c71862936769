"""several cooperatives per village; the place crosswalk

The registry files more than one cooperative for some villages (Pidie: 751 cooperatives for
730 villages). ``cooperative_villages.village_id`` loses its unique constraint (an ordinary
index keeps the lookups by village); coverage counts such a village once.

``place_crosswalk`` keeps, per source, the official code each of the source's own place ids
was reconciled to, so the next snapshot is matched by id first (``shared.places``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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


def downgrade() -> None:
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
