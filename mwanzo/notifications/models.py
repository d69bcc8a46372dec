from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel, str_enum


class EmailStatus(enum.StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class OutboundEmail(TimestampedModel):
    """One email: rendered when asked for, sent by a job, its fate recorded for operators."""

    __tablename__ = "outbound_emails"

    to_address: Mapped[str] = mapped_column(sa.String(254), index=True)
    template: Mapped[str] = mapped_column(sa.String(100))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[EmailStatus] = mapped_column(str_enum(EmailStatus), default=EmailStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    # Emails that must go out only once (the weekly report) carry a key; the unique index enforces it.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
