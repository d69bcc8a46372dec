from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import Base, utcnow


class OutboxJob(Base):
    """A job written in the transaction that asked for it (rq runner), kept until Redis has it.

    After commit the job is pushed to RQ and marked delivered; if Redis was unreachable the row stays
    undelivered and the relay task hands it over later. Tasks are idempotent, so a job handed over
    twice (pushed, then the mark lost) is harmless.
    """

    __tablename__ = "job_outbox"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    task: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list] = mapped_column(sa.JSON, default=list)
    queue_name: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(index=True)
