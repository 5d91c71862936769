"""cooperative_villages carry their village's province, regency and district codes, indexed

"The cooperatives of regency 64.72" and a partner's province scope joined every link to
``regions`` to filter on the village's codes (about 10 ms a statement on the national data
set, with a count walking as many rows again). With the codes on the link, each is one range
of an index of (code, cooperative_id) pairs, read without touching the table.

A village row's code never changes (a re-coded village is a new row and its links move to
it), so the codes are set wherever ``village_id`` is: registering a cooperative, linking
villages, the registry import and an edition's re-codes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 12:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CODES = (("province_code", 2), ("regency_code", 5), ("district_code", 8))


def upgrade() -> None:
    with op.batch_alter_table("cooperative_villages", schema=None) as batch_op:
        for name, length in _CODES:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    # Portable (SQLite and PostgreSQL): one correlated lookup by primary key per column.
    op.execute(
        "UPDATE cooperative_villages SET "
        + ", ".join(
            f"{name} = (SELECT r.{name} FROM regions r WHERE r.id = cooperative_villages.village_id)"
            for name, _length in _CODES
        )
    )
    with op.batch_alter_table("cooperative_villages", schema=None) as batch_op:
        for name, length in _CODES:
            batch_op.alter_column(name, existing_type=sa.String(length=length), nullable=False)
        for name, _length in _CODES:
            level = name.removesuffix("_code")
            batch_op.create_index(
                f"ix_cooperative_villages_{level}", [name, "cooperative_id"], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table("cooperative_villages", schema=None) as batch_op:
        for name, _length in reversed(_CODES):
            batch_op.drop_index(f"ix_cooperative_villages_{name.removesuffix('_code')}")
        for name, _length in reversed(_CODES):
            batch_op.drop_column(name)
