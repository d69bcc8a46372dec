"""Learners' refund requests: within REFUND_WINDOW_DAYS of paying and having watched under
REFUND_MAX_WATCHED_PERCENT of the course's video, a learner may ask once per payment; an admin approves
(the refund is recorded through services.refund_payment: access ends, the instructor's statement shows it;
the money goes back to the M-Pesa number that paid through the payouts' B2C pipeline, and the request is
``sent_at`` once PayHero confirms it) or declines with a note. Approving or declining twice changes nothing:
one conditional UPDATE decides."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mwanzo.audit import record
from mwanzo.auth.models import User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.payments import payouts, services
from mwanzo.payments.models import Payment, PaymentStatus, RefundRequest, RefundStatus

TOO_LATE = _l("Refunds can be asked for within %(days)s days of paying; this payment is older.")
WATCHED_TOO_MUCH = _l("Refunds are for learners who watched less than %(percent)s%% of the course; you have watched %(watched)s%%.")
NOT_PAID = _l("Only a completed payment can be refunded.")
ALREADY_ASKED = _l("You have already asked for a refund of this payment.")


class RefundRefused(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class AlreadyDecided(Exception):
    """Another admin (or a double click) decided this request first."""


@dataclass
class Eligibility:
    allowed: bool
    reason: str | None
    watched: int
    deadline: datetime | None
    request: RefundRequest | None


def window() -> timedelta:
    return timedelta(days=current_app.config["REFUND_WINDOW_DAYS"])


def eligibility(payment: Payment, now: datetime | None = None) -> Eligibility:
    now = now or utcnow()
    existing = db.session.scalar(select(RefundRequest).where(RefundRequest.payment_id == payment.id))
    watched = learning.watched_percent(payment.student_id, payment.course_id)
    paid_at = payment.settled_at or payment.created_at
    deadline = paid_at + window()
    limit = current_app.config["REFUND_MAX_WATCHED_PERCENT"]
    reason = None
    if existing is not None:
        reason = ALREADY_ASKED
    elif payment.status != PaymentStatus.SUCCESS:
        reason = NOT_PAID
    elif now > deadline:
        reason = TOO_LATE % {"days": current_app.config["REFUND_WINDOW_DAYS"]}
    elif watched >= limit:
        reason = WATCHED_TOO_MUCH % {"percent": limit, "watched": watched}
    return Eligibility(reason is None, reason, watched, deadline, existing)


def request_refund(payment: Payment, student: User, reason: str) -> RefundRequest:
    check = eligibility(payment)
    if not check.allowed:
        raise RefundRefused(check.reason)
    refund = RefundRequest(payment_id=payment.id, student_id=student.id, reason=reason, watched_percent=check.watched)
    try:
        with db.session.begin_nested():
            db.session.add(refund)
    except IntegrityError:
        raise RefundRefused(ALREADY_ASKED) from None
    record(student, "refund.requested", payment, reason=reason, watched_percent=check.watched)
    return refund


def open_requests(limit: int = 200) -> list[RefundRequest]:
    return list(db.session.scalars(
        select(RefundRequest).where(RefundRequest.status == RefundStatus.REQUESTED)
        .options(joinedload(RefundRequest.student), joinedload(RefundRequest.payment).joinedload(Payment.course))
        .order_by(RefundRequest.created_at).limit(limit)
    ))


def get_request(request_id: uuid.UUID) -> RefundRequest | None:
    return db.session.scalar(
        select(RefundRequest).where(RefundRequest.id == request_id)
        .options(joinedload(RefundRequest.student), joinedload(RefundRequest.payment).joinedload(Payment.course))
    )


def _decide(refund: RefundRequest, admin: User, to: RefundStatus, note: str) -> None:
    decided = db.session.execute(
        update(RefundRequest).where(RefundRequest.id == refund.id, RefundRequest.status == RefundStatus.REQUESTED)
        .values(status=to, decided_by_id=admin.id, decided_at=utcnow(), decision_note=note, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not decided:
        raise AlreadyDecided()
    db.session.refresh(refund)


def approve(refund: RefundRequest, admin: User, note: str) -> None:
    """The payment is REFUNDED and access ends at once; its amount is sent back to the learner's M-Pesa by a
    job after commit (payouts.send_refund), in the same transaction as the decision: all of it or none."""
    _decide(refund, admin, RefundStatus.APPROVED, note)
    payment = services.lock_payment(refund.payment_id)
    services.refund_payment(payment, admin, f"Learner's request: {refund.reason} — {note}")
    payouts.send_refund(refund, payment, admin)


def decline(refund: RefundRequest, admin: User, note: str) -> None:
    _decide(refund, admin, RefundStatus.DECLINED, note)
    record(admin, "refund.declined", ("payment", refund.payment_id), note=note)
