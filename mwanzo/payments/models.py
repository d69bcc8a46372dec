from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.database import TimestampedModel, str_enum
from mwanzo.labels import labels
from mwanzo.learning.models import Enrollment


class PaymentStatus(enum.StrEnum):
    PENDING = "PENDING"
    PUSH_FAILED = "PUSH_FAILED"
    PUSH_UNKNOWN = "PUSH_UNKNOWN"  # the push timed out: the prompt may still have reached the phone
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    REFUNDED = "REFUNDED"


labels(PaymentStatus, {
    PaymentStatus.PENDING: _l("Pending"),
    PaymentStatus.PUSH_FAILED: _l("Prompt not sent"),
    PaymentStatus.PUSH_UNKNOWN: _l("Prompt not confirmed"),
    PaymentStatus.SUCCESS: _l("Success"),
    PaymentStatus.FAILED: _l("Failed"),
    PaymentStatus.CANCELLED: _l("Cancelled"),
    PaymentStatus.EXPIRED: _l("Expired"),
    PaymentStatus.REFUNDED: _l("Refunded"),
})


class Attention(enum.StrEnum):
    """Why an operator must look: M-Pesa may have taken money the learner got no course for."""

    PUSH_UNKNOWN = "PUSH_UNKNOWN"  # the push timed out and no outcome was learnt
    UNVERIFIED_SUCCESS = "UNVERIFIED_SUCCESS"  # a success callback we could not confirm
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    DUPLICATE_SUCCESS = "DUPLICATE_SUCCESS"  # paid for an enrolment another payment had paid


class Payment(TimestampedModel):
    __tablename__ = "payments"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.Index("ix_payments_status_created", "status", "created_at"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("enrollments.id"), index=True)
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(sa.String(3), default="KES")
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus), default=PaymentStatus.PENDING)
    provider: Mapped[str] = mapped_column(sa.String(20))
    phone_number: Mapped[str] = mapped_column(sa.String(15), index=True)
    external_reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    provider_reference: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    checkout_request_id: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    mpesa_receipt: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    result_code: Mapped[str | None] = mapped_column(sa.String(20))
    result_desc: Mapped[str | None] = mapped_column(sa.Text)
    raw_callback: Mapped[dict | None] = mapped_column(sa.JSON)
    settled_at: Mapped[datetime | None]
    next_check_at: Mapped[datetime | None]
    status_checks: Mapped[int] = mapped_column(default=0)
    refunded_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    refund_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Open while set and resolved_at is empty; cleared when an answer from M-Pesa settles it.
    attention: Mapped[Attention | None] = mapped_column(str_enum(Attention), index=True)
    claimed_receipt: Mapped[str | None] = mapped_column(sa.String(40))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    # The platform's share (PLATFORM_SHARE_PERCENT) when the learner checked out: a later change of the
    # setting does not rewrite past statements. Empty on payments older than the setting (the default applies).
    platform_share_percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))

    enrollment: Mapped[Enrollment] = relationship(lazy="raise_on_sql")
    student: Mapped[User] = relationship(foreign_keys=[student_id], lazy="raise_on_sql")
    course: Mapped[Course] = relationship(lazy="raise_on_sql")
    events: Mapped[list[PaymentEvent]] = relationship(
        order_by="PaymentEvent.created_at", cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class PaymentEvent(TimestampedModel):
    """The payment's timeline: the push, every callback and status query, as received."""

    __tablename__ = "payment_events"

    payment_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Set when an operator settled a success callback that matched no payment.
    resolved_at: Mapped[datetime | None]


class CouponKind(enum.StrEnum):
    PERCENT = "PERCENT"
    FIXED = "FIXED"  # shillings off


class Coupon(TimestampedModel):
    """A discount code: made by an instructor for one of their courses, or by an admin for one course or all."""

    __tablename__ = "coupons"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("kind <> 'PERCENT' OR value <= 100", name="percent_range"),
        sa.CheckConstraint("uses >= 0", name="uses_not_negative"),
        sa.CheckConstraint("per_learner >= 1", name="per_learner_positive"),
        sa.CheckConstraint("max_uses IS NULL OR max_uses >= 1", name="max_uses_positive"),
    )

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[CouponKind] = mapped_column(str_enum(CouponKind))
    value: Mapped[Decimal]
    course_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    created_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime | None]
    max_uses: Mapped[int | None]
    per_learner: Mapped[int] = mapped_column(default=1)
    # Checkouts holding a use: taken in one conditional UPDATE, given back when the payment ends unpaid.
    uses: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course | None] = relationship(lazy="raise_on_sql")


class CouponRedemption(TimestampedModel):
    """One use of a coupon by a learner: for a payment, or (a 100 % coupon) for an enrolment with no payment."""

    __tablename__ = "coupon_redemptions"
    __table_args__ = (sa.Index("ix_coupon_redemptions_coupon_student", "coupon_id", "student_id"),)

    coupon_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("coupons.id"))
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id"))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    amount_off: Mapped[Decimal]
    # Set when the payment ended without money (failed, cancelled, expired): the use is given back.
    released_at: Mapped[datetime | None]


class RefundStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class RefundRequest(TimestampedModel):
    """A learner's request to have a payment refunded; one per payment, decided by an admin."""

    __tablename__ = "refund_requests"

    payment_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    watched_percent: Mapped[int]
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus), default=RefundStatus.REQUESTED, index=True)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str | None] = mapped_column(sa.Text)
    # When PayHero confirmed the money's transfer back to the learner (the refund's payout is PAID).
    sent_at: Mapped[datetime | None]

    payment: Mapped[Payment] = relationship(lazy="raise_on_sql")
    student: Mapped[User] = relationship(foreign_keys=[student_id], lazy="raise_on_sql")


class PayoutStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"  # the instructor asked; held from the balance
    APPROVED = "APPROVED"    # an admin approved; the withdraw job has not sent it yet
    SENT = "SENT"            # PayHero's withdraw API was called (or may have been: a timeout)
    PAID = "PAID"            # PayHero's transaction-status confirmed it
    FAILED = "FAILED"        # back in the balance
    REJECTED = "REJECTED"    # an admin refused it; back in the balance


labels(PayoutStatus, {
    PayoutStatus.REQUESTED: _l("Waiting for approval"),
    PayoutStatus.APPROVED: _l("Approved"),
    PayoutStatus.SENT: _l("Sent to M-Pesa"),
    PayoutStatus.PAID: _l("Paid"),
    PayoutStatus.FAILED: _l("Failed: back in your balance"),
    PayoutStatus.REJECTED: _l("Refused: back in your balance"),
})


class Payout(TimestampedModel):
    """Money sent out through PayHero's withdraw (B2C) API: to an instructor's M-Pesa (their earnings), or
    back to a learner's for an approved refund (``refund_request_id``; one transfer per request)."""

    __tablename__ = "payouts"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("(instructor_id IS NULL) <> (refund_request_id IS NULL)", name="one_recipient"),
    )

    instructor_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    refund_request_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("refund_requests.id"), unique=True)
    amount: Mapped[Decimal]
    phone_number: Mapped[str] = mapped_column(sa.String(15))
    status: Mapped[PayoutStatus] = mapped_column(str_enum(PayoutStatus), default=PayoutStatus.REQUESTED, index=True)
    external_reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    provider_reference: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    transaction_id: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    result_desc: Mapped[str | None] = mapped_column(sa.Text)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    settled_at: Mapped[datetime | None]
    # Set while it is SENT with no PayHero reference to ask about (the withdraw timed out or its connection
    # dropped): an admin settles it from the M-Pesa statement (payouts.settle_unanswered).
    attention_since: Mapped[datetime | None] = mapped_column(index=True)
    # Set when M-Pesa confirmed two of its transfers paid (an earlier one an admin had judged failed, and the
    # retry): the learner was refunded twice and admins recover the extra money (on the attention list).
    overpaid_since: Mapped[datetime | None] = mapped_column(index=True)

    instructor: Mapped[User | None] = relationship(foreign_keys=[instructor_id], lazy="raise_on_sql")
    refund_request: Mapped[RefundRequest | None] = relationship(lazy="raise_on_sql")


class PayoutEvent(TimestampedModel):
    """A payout's timeline as received: the withdraw request and answer, every callback (raw), each check."""

    __tablename__ = "payout_events"

    payout_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("payouts.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)


class PayoutAttempt(TimestampedModel):
    """An earlier transfer of a payout, replaced when an admin sent a failed refund again: PayHero's late
    answer about it still finds the payout by these references, and the receipt is kept once M-Pesa confirms
    that this transfer paid after all."""

    __tablename__ = "payout_attempts"

    payout_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("payouts.id"), index=True)
    external_reference: Mapped[str] = mapped_column(sa.String(64), unique=True)
    provider_reference: Mapped[str | None] = mapped_column(sa.String(100), index=True)
    transaction_id: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
