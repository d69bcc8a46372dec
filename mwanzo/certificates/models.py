from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel


class Certificate(TimestampedModel):
    """Issued once per completed enrolment; what it states is frozen at issue time."""

    __tablename__ = "certificates"

    enrollment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enrollments.id"), unique=True)
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    verification_code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    learner_name: Mapped[str] = mapped_column(sa.String(120))
    course_title: Mapped[str] = mapped_column(sa.String(200))
    instructor_name: Mapped[str] = mapped_column(sa.String(120))
    completed_on: Mapped[date] = mapped_column(sa.Date)
    content_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 1))
    issued_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
