from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel, str_enum


class RequestKind(enum.StrEnum):
    EXPORT = "EXPORT"
    ERASURE = "ERASURE"


class RequestStatus(enum.StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


class DataRequest(TimestampedModel):
    """A learner's request to download or erase their data: the admins' log of data requests.
    Kept after an erasure (the account id then names an anonymised row) as proof the request was met."""

    __tablename__ = "data_requests"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus), default=RequestStatus.PENDING)
    keep_certificates: Mapped[bool | None]
    archive_key: Mapped[str | None] = mapped_column(sa.String(300))
    completed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
