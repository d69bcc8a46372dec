"""The audit log: who changed what, and when. Every administrative change, in any domain, lands here."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.database import TimestampedModel
from mwanzo.extensions import db


class AuditLog(TimestampedModel):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_target", "target_type", "target_id"),)

    actor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(60))
    target_type: Mapped[str] = mapped_column(sa.String(40))
    target_id: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    # The account model sits above the kernel: the relationship names it, the registry resolves it.
    actor: Mapped["User | None"] = relationship("User", lazy="raise_on_sql")  # noqa: F821


def record(actor, action: str, target, **details) -> AuditLog:
    """Write one audit entry. ``actor`` is an account or None (the system); ``target`` is a model instance or
    a (type, id) pair; details must be JSON-able."""
    if isinstance(target, tuple):
        target_type, target_id = target
    else:
        target_type, target_id = target.__tablename__, target.id
    entry = AuditLog(actor_id=actor.id if actor else None, action=action, target_type=target_type,
                     target_id=str(target_id), details={k: _jsonable(v) for k, v in details.items()})
    db.session.add(entry)
    return entry


def _jsonable(value):
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
