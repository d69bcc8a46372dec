from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel, str_enum


class NotificationKind(enum.StrEnum):
    ANSWER = "ANSWER"  # someone answered my question
    ACCEPTED = "ACCEPTED"  # my answer was accepted
    ANNOUNCEMENT = "ANNOUNCEMENT"  # an instructor announced something in my course
    COURSE_DECISION = "COURSE_DECISION"  # my course was approved or rejected
    PAYMENT = "PAYMENT"  # my payment settled
    APPLICATION = "APPLICATION"  # my job application changed status
    CONTACT_REQUEST = "CONTACT_REQUEST"  # an employer asks to contact me
    CONTACT_ANSWER = "CONTACT_ANSWER"  # a learner answered my request to contact them
    VERIFICATION = "VERIFICATION"  # my company was verified as an employer, or not


class Notification(TimestampedModel):
    """One line of a user's inbox. The text is rendered when shown (in the reader's language) from
    ``kind`` and ``params``; ``emailed_at`` records that its email (single or digest) was sent."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The header badge's count: one index scan over this user's unread rows.
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    link: Mapped[str] = mapped_column(sa.String(500))
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]


class NotificationSettings(TimestampedModel):
    """A user's email choices: kinds they do not want emailed, and one daily digest instead of single emails.
    No row means the defaults: every kind emailed at once."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    muted_kinds: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    daily_digest: Mapped[bool] = mapped_column(default=False, index=True)
