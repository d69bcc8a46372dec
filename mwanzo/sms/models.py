from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel, str_enum, utcnow


class SmsStatus(enum.StrEnum):
    QUEUED = "QUEUED"          # recorded, waiting for its job
    SENDING = "SENDING"        # claimed by a job; the provider is being asked
    ACCEPTED = "ACCEPTED"      # the provider took it (Africa's Talking 100-102); waiting for a delivery report
    DELIVERED = "DELIVERED"    # on the handset
    FAILED = "FAILED"          # refused by the provider or the network, or out of attempts
    UNKNOWN = "UNKNOWN"        # the provider did not answer in time: it may have gone out, so never resent


class OutboundSms(TimestampedModel):
    """One text message: rendered when asked for, sent by a job at most once, its fate recorded."""

    __tablename__ = "outbound_sms"

    to_phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    template: Mapped[str] = mapped_column(sa.String(60))
    locale: Mapped[str] = mapped_column(sa.String(8))
    body: Mapped[str] = mapped_column(sa.Text)
    encoding: Mapped[str] = mapped_column(sa.String(8))
    parts: Mapped[int] = mapped_column(default=1)
    status: Mapped[SmsStatus] = mapped_column(str_enum(SmsStatus), default=SmsStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    provider: Mapped[str | None] = mapped_column(sa.String(20))
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    provider_status_code: Mapped[int | None]
    delivery_status: Mapped[str | None] = mapped_column(sa.String(40))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(200))
    cost: Mapped[str | None] = mapped_column(sa.String(30))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    # Messages that must go out only once (a payment's receipt) carry a key; the unique index enforces it.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)


class SmsDeliveryReport(TimestampedModel):
    """A delivery report as the provider posted it, kept raw for operators until the retention job clears
    the body (SMS_REPORT_RETENTION_DAYS)."""

    __tablename__ = "sms_delivery_reports"

    provider_message_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    status: Mapped[str] = mapped_column(sa.String(40))
    raw: Mapped[str | None] = mapped_column(sa.Text)
    matched: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
