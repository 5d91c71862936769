"""Stored files: import inputs and exports kept in the database, so any process can read them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, utcnow


class StoredFile(Base):
    """One file's bytes, once: the same bytes stored again are this row (its SHA-256)."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(300))  # the first name it was stored under
    stored_by: Mapped[str] = mapped_column(String(200))
    # When it was last stored: retention counts from here, so a file stored again stays.
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_stored_files_stored_at", "stored_at"),)


class FileChunk(Base):
    """A piece of a stored file's bytes, in order of ``seq``."""

    __tablename__ = "file_chunks"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("stored_files.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
