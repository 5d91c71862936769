"""regions without last_edition_id; retired regions indexed alone

``regions.last_edition_id`` said in which edition an active region was last seen: always the
current edition, so every edition rewrote all ~91,600 rows to say so (1.9 s of a 2.7 s import
of an edition renaming 9 villages, on PostgreSQL). A retired region was last seen in the
edition before the one that retired it. Both follow from ``retired_edition_id`` and the
editions, so the column goes.

The index on ``retired_edition_id`` now holds only retired regions (the ones it is asked for).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RETIRED = sa.text("retired_edition_id IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index("ix_regions_retired_edition_id")
        batch_op.drop_constraint("fk_regions_last_edition_id_editions", type_="foreignkey")
        batch_op.drop_column("last_edition_id")
        batch_op.create_index(
            "ix_regions_retired_edition_id",
            ["retired_edition_id"],
            unique=False,
            postgresql_where=_RETIRED,
            sqlite_where=_RETIRED,
        )


def downgrade() -> None:
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.drop_index("ix_regions_retired_edition_id")
        batch_op.add_column(sa.Column("last_edition_id", sa.Integer(), nullable=True))
    # Active regions: the current edition (else their first); retired ones: the edition
    # imported before the one that retired them.
    op.execute(
        "UPDATE regions SET last_edition_id = CASE"
        " WHEN retired_edition_id IS NULL THEN COALESCE("
        "(SELECT id FROM editions WHERE is_current), first_edition_id)"
        " ELSE COALESCE((SELECT MAX(e.id) FROM editions e WHERE e.id < regions.retired_edition_id),"
        " first_edition_id) END"
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.alter_column("last_edition_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_regions_last_edition_id_editions",
            "editions",
            ["last_edition_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.create_index("ix_regions_retired_edition_id", ["retired_edition_id"], unique=False)
