"""stored files: import inputs kept in the database, chunked

Uploads and CLI-given files waited in ``KOPDES_UPLOAD_DIR``, a folder the API and the worker
had to share. They now live in ``stored_files`` (one row per distinct content, by SHA-256)
and ``file_chunks`` (its bytes in pieces), so a worker needs only the database and Redis.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from shared.models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("stored_by", sa.String(length=200), nullable=False),
        sa.Column("stored_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_files_sha256")),
    )
    op.create_index("ix_stored_files_stored_at", "stored_files", ["stored_at"], unique=False)
    op.create_table(
        "file_chunks",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_file_chunks_file_id_stored_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "seq", name=op.f("pk_file_chunks")),
    )


def downgrade() -> None:
    op.drop_table("file_chunks")
    op.drop_index("ix_stored_files_stored_at", table_name="stored_files")
    op.drop_table("stored_files")
