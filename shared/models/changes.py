"""The change feed's events: what became visible, in the order it did (see shared.changes)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, UTCDateTime, str_enum, utcnow
from shared.models.enums import ChangeType


class ChangeEvent(Base):
    """One change, numbered in commit order: ``seq`` is the feed's cursor.

    ``seq`` is assigned from ``data_state.change_seq`` under that row's lock, which every
    writer holds until it commits, so numbers are gap-free and in commit order.
    """

    __tablename__ = "change_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[ChangeType] = mapped_column(str_enum(ChangeType, "change_type"))
    # The entity as the API names it (a global id's type and key): Cooperative/12, Village/64...
    entity_type: Mapped[str] = mapped_column(String(20))
    entity_key: Mapped[str] = mapped_column(String(64))
    # Whose scope sees it: a province (a second one for a cooperative spanning two), or none
    # for national events (coverage recalculated), which every caller of the feed sees.
    province_code: Mapped[str | None] = mapped_column(String(2))
    other_province_code: Mapped[str | None] = mapped_column(String(2))
    # Names of the fields that changed, comma-separated (empty when the event says it all).
    fields: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    data_version: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_change_events_at", "at"),
        Index("ix_change_events_province_seq", "province_code", "seq"),
    )


__all__ = ["ChangeEvent"]
