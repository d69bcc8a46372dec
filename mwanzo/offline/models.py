from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel


class OfflineReceipt(TimestampedModel):
    """One change a phone made without a connection (a progress save, a quiz submission), recorded when it
    arrives: the phone's own id for it makes a resent queue change nothing."""

    __tablename__ = "offline_receipts"
    __table_args__ = (sa.UniqueConstraint("user_id", "client_id", name="uq_offline_receipts_user_client"),)

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(sa.String(20))
    outcome: Mapped[str] = mapped_column(sa.String(20))
