"""M-Pesa payments: checkout, settlement (callback or status query), reconciliation, refunds.

Money rules, all enforced here:
- the amount always comes from the course price on the server;
- one payment in flight per learner and course: a second charge is refused while an earlier one
  (PENDING, or PUSH_UNKNOWN after a push timeout) may still complete;
- access is granted only after PayHero's transaction-status says SUCCESS for our stored reference
  and every amount we were told equals ours; the body of a callback alone never grants anything;
- every status change is one conditional UPDATE (`transition`), so duplicate and concurrent
  callbacks settle once; the M-Pesa receipt is unique across payments;
- settling locks the payment row first (`lock_payment`), then touches the enrolment: one lock
  order, so concurrent settlements queue instead of deadlocking;
- money M-Pesa may have taken without the learner getting the course is flagged (`attention`)
  until M-Pesa's answer or an operator (`settle_attention`) settles it.
"""
from __future__ import annotations

import logging
import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from flask import current_app
from flask_babel import format_time
from flask_babel import gettext as _
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from mwanzo import jobs
from mwanzo.audit import AuditLog
from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import OwnEmail, notify
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment
from mwanzo.payments import coupons
from mwanzo.payments.callbacks import CallbackData, UnreadableCallback, parse_callback
from mwanzo.payments.models import (Attention, Coupon, CouponRedemption, Payment, PaymentEvent, PaymentStatus,
                                    Payout, PayoutStatus, RefundRequest)
from mwanzo.payments.payhero import PayHeroClient, Provider, PushError, StatusResult, StatusUnavailable
from mwanzo.sms.services import send_sms
from mwanzo.urls import absolute_url
from mwanzo.web import security
from mwanzo.web.filters import format_kes

log = logging.getLogger(__name__)

S = PaymentStatus
FIRST_CHECK_AFTER = timedelta(seconds=60)
EXPIRE_AFTER = timedelta(minutes=15)
MAX_CHECK_INTERVAL = timedelta(minutes=5)
FAST_CHECKS = 4
# Where a payment may go from where: the one state machine every change passes through.
TRANSITIONS = {
    # Money M-Pesa confirms it took is never left unpaid for: a verified success also settles a
    # payment a failure callback, a push timeout or expiry had closed (not an amount mismatch).
    S.SUCCESS: (S.PENDING, S.PUSH_UNKNOWN, S.PUSH_FAILED, S.EXPIRED, S.CANCELLED, S.FAILED),
    S.FAILED: (S.PENDING, S.PUSH_UNKNOWN),
    S.CANCELLED: (S.PENDING, S.PUSH_UNKNOWN),
    S.EXPIRED: (S.PENDING, S.PUSH_UNKNOWN),
    S.PUSH_FAILED: (S.PENDING,),
    S.PUSH_UNKNOWN: (S.PENDING,),
    # A refund is recorded for money M-Pesa took, also where the course was never granted for it.
    S.REFUNDED: (S.SUCCESS, S.PUSH_UNKNOWN, S.EXPIRED, S.FAILED, S.CANCELLED),
}
# Ends without money: a coupon use the payment held is given back.
ENDED_UNPAID = (S.PUSH_FAILED, S.FAILED, S.CANCELLED, S.EXPIRED)
# Payments that may still take money: they block a second checkout for the course.
IN_FLIGHT = (S.PENDING, S.PUSH_UNKNOWN)
# An answer from M-Pesa resolves a timed-out push; the other reasons need an operator.
ANSWERED_BY_SUCCESS = (Attention.PUSH_UNKNOWN, Attention.UNVERIFIED_SUCCESS)
CLEAR_PUSH_UNKNOWN = case((Payment.attention == Attention.PUSH_UNKNOWN, None), else_=Payment.attention)
UNREADABLE = "callback_unreadable"
AMOUNT_MISMATCH = "AMOUNT_MISMATCH"


class PaymentError(Exception):
    """Base of the refusals of checkout and payment actions."""


class AlreadyEnrolled(PaymentError):
    """The learner already has access to this course."""


class FreeCourse(PaymentError):
    """Free courses need no payment."""


class InvalidTransition(PaymentError):
    """The payment's current status does not allow this change."""


class ReceiptInUse(PaymentError):
    """This M-Pesa receipt already paid for another payment."""


class AlreadySettled(PaymentError):
    """Nothing is open on this payment any more (settled by M-Pesa's answer or another operator)."""


# ---------------------------------------------------------------- configuration

def get_provider() -> Provider:
    if current_app.config["PAYMENT_PROVIDER"] == "payhero":
        return PayHeroClient.from_config(current_app.config)
    from mwanzo.payments.sandbox import SandboxProvider

    return SandboxProvider()


def callback_token() -> str:
    return security.callback_token("PAYMENT_CALLBACK_TOKEN", "mwanzo-payment-callback")


def callback_token_matches(token: str) -> bool:
    return security.callback_token_matches(token, "PAYMENT_CALLBACK_TOKEN", "mwanzo-payment-callback")


def callback_url() -> str:
    return absolute_url("payments.callback", token=callback_token())


def charge_amount(course: Course) -> Decimal:
    """M-Pesa takes whole shillings only: a price with cents is rounded up to the next shilling."""
    return coupons.whole_shillings(course.price)


def record_event(payment_id: uuid.UUID | None, kind: str, payload=None, note: str | None = None) -> PaymentEvent:
    if kind in ("review", UNREADABLE) or (kind == "callback" and payment_id is None):
        log.warning("payment %s needs a look: %s %s", payment_id, kind, note)
    event = PaymentEvent(payment_id=payment_id, kind=kind, payload=payload, note=note)
    db.session.add(event)
    db.session.flush()
    return event


def transition(payment: Payment, to: PaymentStatus, reviewed: bool = False, **values) -> bool:
    """Move ``payment`` to ``to`` if (and only if) it is still in an allowed state. Returns True for
    the one caller that made the change; everyone racing it gets False. Only an operator's
    ``reviewed`` decision may pay a payment whose amounts did not match."""
    guard = Payment.status.in_(TRANSITIONS[to])
    if to == S.SUCCESS and not reviewed:
        guard &= Payment.result_code.is_(None) | (Payment.result_code != AMOUNT_MISMATCH)
    result = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, guard)
        .values(status=to, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(payment)
    if result.rowcount != 1:
        return False
    if to in ENDED_UNPAID:
        coupons.give_back(payment.id)
    elif to == S.SUCCESS:
        coupons.take_back(payment.id)
    return True


# ---------------------------------------------------------------- checkout

def lock_payment(payment_id: uuid.UUID) -> Payment | None:
    """The payment, its row locked until commit. Every settlement takes this lock before writing
    anything else (events, enrolment): inserting an event first takes a key-share lock on the
    payment that two settlements would then each wait on, a deadlock."""
    return db.session.scalar(select(Payment).where(Payment.id == payment_id).with_for_update()
                             .execution_options(populate_existing=True))


def awaiting_review(payment: Payment) -> bool:
    """M-Pesa said it was paid but we could not confirm it: an operator decides, the learner waits."""
    return payment.attention == Attention.UNVERIFIED_SUCCESS and payment.resolved_at is None


def blocking_payment(student_id: uuid.UUID, course_id: uuid.UUID) -> Payment | None:
    """The newest payment that may still take (or has taken) money for this course unconfirmed."""
    return db.session.scalar(
        select(Payment).where(Payment.student_id == student_id, Payment.course_id == course_id,
                              Payment.status.in_(IN_FLIGHT)
                              | ((Payment.attention == Attention.UNVERIFIED_SUCCESS) & Payment.resolved_at.is_(None)))
        .order_by(Payment.created_at.desc()).limit(1)
    )


def payment_in_flight(student_id: uuid.UUID, course_id: uuid.UUID, now: datetime | None = None) -> Payment | None:
    """The payment that blocks a new charge, if any. One past EXPIRE_AFTER is reconciled here and
    now, so a stalled scheduler never opens the door to paying twice."""
    now = now or utcnow()
    payment = blocking_payment(student_id, course_id)
    if payment is not None and payment.status in IN_FLIGHT and now - payment.created_at >= EXPIRE_AFTER:
        reconcile_payment(payment.id, now)
    if payment is not None and payment.status not in IN_FLIGHT and not awaiting_review(payment):
        return None
    return payment


def retry_at(payment: Payment) -> datetime:
    """When a new charge is allowed if M-Pesa has not answered about ``payment`` by then."""
    return payment.created_at + EXPIRE_AFTER


def start_checkout(student: User, course: Course, phone: str,
                   coupon_code: str | None = None) -> tuple[Payment | None, bool]:
    """The PENDING payment for this learner and course: the one in flight, or a new one (True) for the
    price less the coupon. A coupon that leaves nothing to pay enrols the learner at once (None, True).
    Raises coupons.CouponRefused; the caller rolls back."""
    if course.is_free:
        raise FreeCourse()
    enrollment = learning.start_paid_enrollment(student, course)
    if enrollment.grants_access:
        raise AlreadyEnrolled()
    # Lock the enrolment row until commit: a double-clicked checkout waits here, then sees the
    # first one's payment instead of sending a second prompt.
    db.session.execute(update(Enrollment).where(Enrollment.id == enrollment.id).values(updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    existing = blocking_payment(student.id, course.id)
    if existing is not None:
        return existing, False
    quote = coupons.quote(course, coupon_code)
    if quote.amount == 0:
        coupons.take_use(quote, student, course, None)
        learning.activate_enrollment(enrollment.id)
        return None, True
    payment = Payment(
        enrollment_id=enrollment.id, student_id=student.id, course_id=course.id, amount=quote.amount,
        currency="KES", status=S.PENDING, provider=current_app.config["PAYMENT_PROVIDER"], phone_number=phone,
        platform_share_percent=Decimal(current_app.config["PLATFORM_SHARE_PERCENT"]),
        external_reference=f"MWZ-{secrets.token_hex(6).upper()}", next_check_at=utcnow() + FIRST_CHECK_AFTER,
    )
    db.session.add(payment)
    db.session.flush()
    coupons.take_use(quote, student, course, payment.id)
    record_event(payment.id, "created", note=f"checkout for {course.title}"
                 + (f" with coupon {quote.coupon.code} ({quote.amount_off} off)" if quote.coupon else ""))
    return payment, True


def send_push(payment: Payment, customer_name: str) -> None:
    """Ask M-Pesa to prompt the phone, once. A refusal ends this payment (PUSH_FAILED). After a
    timeout the prompt may still reach the phone (PUSH_UNKNOWN): it blocks a second charge until a
    callback tells the outcome or it expires, and stays on the operators' list until then."""
    provider = get_provider()
    values = dict(amount=int(payment.amount), phone=payment.phone_number, external_reference=payment.external_reference,
                  customer_name=customer_name[:100])
    try:
        result = provider.start_push(callback_url=callback_url(), **values)
    except PushError as exc:
        if exc.timed_out:
            transition(payment, S.PUSH_UNKNOWN, result_code="TIMEOUT", result_desc=exc.message,
                       attention=Attention.PUSH_UNKNOWN, next_check_at=retry_at(payment))
            record_event(payment.id, "push_unknown", payload={"request": values}, note=exc.message)
            return
        transition(payment, S.PUSH_FAILED, result_code="PUSH_ERROR", result_desc=exc.message, next_check_at=None)
        record_event(payment.id, "push_failed", payload={"request": values, "response": exc.raw}, note=exc.message)
        return
    payment.provider_reference = result.reference
    payment.checkout_request_id = result.checkout_request_id
    record_event(payment.id, "push", payload={"request": values, "response": result.raw})


# ---------------------------------------------------------------- callbacks

Row = TypeVar("Row")


def named_by(model: type[Row], references: tuple[tuple[object, str | None], ...]) -> Row | None:
    """The row of ``model`` named by the first of ``references`` ((column, value) pairs, the surest first) that
    finds one; a reference the callback left empty is skipped. One query per reference tried."""
    for column, value in references:
        if value:
            row = db.session.scalar(select(model).where(column == value))
            if row is not None:
                return row
    return None


def find_payment(data: CallbackData) -> Payment | None:
    return named_by(Payment, ((Payment.external_reference, data.external_reference),
                              (Payment.checkout_request_id, data.checkout_request_id),
                              (Payment.provider_reference, data.reference)))


def record_callback(payload: dict) -> PaymentEvent:
    """Keep the raw body first (kind `callback`, or UNREADABLE); settling happens in a job after commit."""
    try:
        data = parse_callback(payload)
    except UnreadableCallback as exc:
        return record_event(None, UNREADABLE, payload=payload, note=str(exc))
    payment = find_payment(data)
    note = None if payment else "no payment with this reference"
    event = record_event(payment.id if payment else None, "callback", payload=payload, note=note)
    if payment is not None:
        from mwanzo.payments.tasks import settle_callback

        jobs.enqueue(settle_callback, str(event.id))
    return event


def settle_callback_event(event_id) -> None:
    event = db.session.get(PaymentEvent, uuid.UUID(str(event_id)))
    if event is None or event.payment_id is None or event.kind != "callback":
        return
    payment = lock_payment(event.payment_id)
    data = parse_callback(event.payload)
    if not data.succeeded:
        fail(payment, data.result_code, data.result_desc, source="callback", raw_callback=event.payload)
        return
    if payment.status not in TRANSITIONS[S.SUCCESS] or payment.result_code == AMOUNT_MISMATCH:
        record_event(payment.id, "ignored", note=f"success callback for a payment already {payment.status}")
        return
    reference = payment.provider_reference or data.reference
    if not reference:
        # Typically a timed-out push: PayHero's reference never reached us, and transaction-status
        # takes nothing else. M-Pesa may have the money, so an operator must settle it.
        payment.attention = Attention.UNVERIFIED_SUCCESS
        payment.claimed_receipt = data.receipt
        record_event(payment.id, "review", note="success callback without a reference to verify it: "
                                                "not granted, listed for an operator")
        return
    payment.provider_reference = reference  # so reconciliation can ask again if this query fails
    status = query_status(payment, reference)
    if status is None:
        return  # unknown for now: reconciliation asks again
    apply_status(payment, status, receipt=data.receipt, raw_callback=event.payload,
                 claimed_amounts=[data.amount] if data.amount is not None else [])


# ---------------------------------------------------------------- settling

def query_status(payment: Payment, reference: str) -> StatusResult | None:
    try:
        status = get_provider().transaction_status(reference)
    except StatusUnavailable as exc:
        record_event(payment.id, "status_query", note=str(exc)[:500])
        return None
    record_event(payment.id, "status_query", payload=status.raw, note=status.status)
    return status


def apply_status(payment: Payment, status: StatusResult, receipt: str | None = None,
                 claimed_amounts: list[Decimal] | None = None, raw_callback: dict | None = None) -> None:
    """Act on an answer from transaction-status: pay, fail, or (still queued) do nothing."""
    if status.status == "FAILED":
        fail(payment, status.result_code, status.description or "M-Pesa reported that the payment failed.",
             source="status query", raw_callback=raw_callback)
        return
    if status.status != "SUCCESS":
        return
    amounts = list(claimed_amounts or []) + ([status.amount] if status.amount is not None else [])
    wrong = [amount for amount in amounts if amount != payment.amount]
    if wrong:
        if transition(payment, S.FAILED, result_code=AMOUNT_MISMATCH, settled_at=utcnow(), next_check_at=None,
                      result_desc=f"Amount mismatch: M-Pesa reported {wrong[0]}, expected {payment.amount}",
                      raw_callback=raw_callback, attention=Attention.AMOUNT_MISMATCH,
                      claimed_receipt=receipt or status.receipt):
            record_event(payment.id, "review", note=payment.result_desc + ": access not granted")
        return
    receipt = receipt or status.receipt
    try:
        mark_paid(payment, receipt, raw_callback)
    except ReceiptInUse:
        record_event(payment.id, "review", note=f"receipt {receipt} is already on another payment: not granted")


def mark_paid(payment: Payment, receipt: str | None, raw_callback: dict | None = None, reviewed: bool = False) -> bool:
    """Pay ``payment`` (its row locked by the caller) and grant the course. Raises ReceiptInUse
    when another payment holds this receipt. A second payment for an enrolment another payment
    already paid is flagged for a refund."""
    try:
        with db.session.begin_nested():
            changed = transition(payment, S.SUCCESS, reviewed=reviewed, mpesa_receipt=receipt, result_code="0",
                                 settled_at=utcnow(), next_check_at=None, raw_callback=raw_callback,
                                 result_desc="The service request is processed successfully.",
                                 attention=case((Payment.attention.in_(ANSWERED_BY_SUCCESS), None),
                                                else_=Payment.attention))
    except IntegrityError:
        raise ReceiptInUse(receipt) from None
    if not changed:
        return False
    record_event(payment.id, "settled", note=f"paid, receipt {receipt}")
    if not learning.activate_enrollment(payment.enrollment_id, allow_from_revoked=True) and paid_by_another(payment):
        payment.attention = Attention.DUPLICATE_SUCCESS
        payment.resolved_at = payment.resolved_by_id = None
        record_event(payment.id, "review", note="the enrolment was already paid by another payment: refund this one")
    send_receipt(payment)
    return True


def paid_by_another(payment: Payment) -> bool:
    return db.session.scalar(select(Payment.id).where(
        Payment.enrollment_id == payment.enrollment_id, Payment.id != payment.id, Payment.status == S.SUCCESS,
    ).limit(1)) is not None


def fail(payment: Payment, code: str | None, desc: str | None, source: str, raw_callback: dict | None = None) -> None:
    to = S.CANCELLED if code == "1032" else S.FAILED
    if transition(payment, to, result_code=code, result_desc=desc, settled_at=utcnow(), next_check_at=None,
                  raw_callback=raw_callback, attention=CLEAR_PUSH_UNKNOWN):
        record_event(payment.id, "settled", note=f"{to} by {source}: {code} {desc}")
    else:
        record_event(payment.id, "ignored", note=f"{source} says {code} but the payment is already {payment.status}")


def send_receipt(payment: Payment) -> None:
    student = db.session.get(User, payment.student_id)
    course = db.session.get(Course, payment.course_id)
    receipt_url = absolute_url("payments.payment_receipt", payment_id=payment.id)
    notify(student.id, NotificationKind.PAYMENT, receipt_url,
           OwnEmail("payment_receipt", {"course": course, "payment": payment, "receipt_url": receipt_url,
                                        "learn_url": absolute_url("learning.course_resume", slug=course.slug)},
                    dedupe_key=f"payment-receipt:{payment.id}"),
           course=course.title)
    if student.phone and student.is_phone_verified:
        send_sms(student.phone, "payment_receipt", locale=student.locale, dedupe_key=f"payment-receipt:{payment.id}",
                 amount=f"{payment.amount:,.0f}", course=course.title[:60], receipt=payment.mpesa_receipt or "-")


# ---------------------------------------------------------------- reconciliation

def check_interval(checks_done: int) -> timedelta:
    """Every 30 s for the first FAST_CHECKS checks (the M-Pesa prompt lasts about a minute, so a
    lost callback is found within 3 minutes of checkout), then doubling up to MAX_CHECK_INTERVAL."""
    return min(timedelta(seconds=30 * 2 ** max(checks_done - FAST_CHECKS, 0)), MAX_CHECK_INTERVAL)


def due_for_check(now: datetime, limit: int = 100) -> list[uuid.UUID]:
    return list(db.session.scalars(
        select(Payment.id).where(
            Payment.status.in_(IN_FLIGHT), Payment.created_at <= now - FIRST_CHECK_AFTER,
            (Payment.next_check_at.is_(None)) | (Payment.next_check_at <= now),
        ).order_by(Payment.created_at).limit(limit)
    ))


def reconcile_payment(payment_id: uuid.UUID, now: datetime | None = None) -> None:
    """Ask PayHero about a payment no callback has settled; expire it after EXPIRE_AFTER. A timed-out
    push PayHero's reference never reached us for cannot be asked about (transaction-status takes
    only that reference): it waits for a callback, then expires and stays on the operators' list."""
    now = now or utcnow()
    payment = lock_payment(payment_id)
    if payment is None or payment.status not in IN_FLIGHT:
        return
    status = query_status(payment, payment.provider_reference) if payment.provider_reference else None
    if status is not None and status.status in ("SUCCESS", "FAILED"):
        apply_status(payment, status)
        return
    if now - payment.created_at >= EXPIRE_AFTER:
        if transition(payment, S.EXPIRED, settled_at=now, next_check_at=None,
                      result_desc="No answer from M-Pesa within 15 minutes."):
            record_event(payment.id, "expired", note="no outcome after 15 minutes")
        return
    payment.status_checks += 1
    payment.next_check_at = now + check_interval(payment.status_checks) if payment.provider_reference else retry_at(payment)


# ---------------------------------------------------------------- refunds

def refund_payment(payment: Payment, actor: User, reason: str, receipt: str | None = None) -> None:
    """Record a refund made in M-Pesa/PayHero; who and why is kept. Access ends unless another
    payment paid for the same enrolment."""
    was_paid = payment.status == S.SUCCESS
    if not transition(payment, S.REFUNDED, refunded_by_id=actor.id, refund_reason=reason):
        raise InvalidTransition(payment.status)
    if was_paid and not paid_by_another(payment):
        learning.revoke_enrollment(db.session.get(Enrollment, payment.enrollment_id))
    record_event(payment.id, "refunded", payload={"by": actor.email, "receipt": receipt}, note=reason)
    db.session.add(AuditLog(actor_id=actor.id, action="payment.refund", target_type="payment",
                            target_id=str(payment.id),
                            details={"reason": reason, "amount": str(payment.amount),
                                     "receipt": receipt or payment.mpesa_receipt}))


# ---------------------------------------------------------------- operator queue

# What an operator may do about each reason, after checking the M-Pesa statement.
SETTLE_ACTIONS = {
    Attention.PUSH_UNKNOWN: ("grant", "refund", "no_charge"),
    Attention.UNVERIFIED_SUCCESS: ("grant", "refund", "no_charge"),
    Attention.AMOUNT_MISMATCH: ("grant", "refund"),
    Attention.DUPLICATE_SUCCESS: ("refund",),
}


def settle_attention(payment_id: uuid.UUID, actor: User, action: str, receipt: str | None, note: str) -> Payment:
    """Close one open case: grant the course for money M-Pesa took, record its refund, or record
    that no money was taken. Audited; a second submission raises AlreadySettled and changes nothing."""
    payment = lock_payment(payment_id)
    if payment is None or payment.attention is None or payment.resolved_at is not None:
        raise AlreadySettled()
    reason = payment.attention
    if action not in SETTLE_ACTIONS[reason]:
        raise InvalidTransition(payment.status)
    if action == "grant":
        if not mark_paid(payment, receipt, reviewed=True):
            raise InvalidTransition(payment.status)
    elif action == "refund":
        refund_payment(payment, actor, note, receipt)  # audits the refund itself
    elif payment.status in IN_FLIGHT:
        transition(payment, S.EXPIRED, settled_at=utcnow(), next_check_at=None, result_desc=note)
    if action != "refund":
        record_event(payment.id, "operator", payload={"by": actor.email, "action": action, "receipt": receipt},
                     note=note)
        db.session.add(AuditLog(actor_id=actor.id, action=f"payment.attention.{action}", target_type="payment",
                                target_id=str(payment.id),
                                details={"reason": reason.value, "receipt": receipt, "note": note,
                                         "amount": str(payment.amount)}))
    # A grant for an enrolment another payment had paid leaves this money listed, waiting for its refund.
    if payment.attention != Attention.DUPLICATE_SUCCESS or reason == Attention.DUPLICATE_SUCCESS:
        payment.resolved_at, payment.resolved_by_id = utcnow(), actor.id
    return payment


def refund_unmatched_callback(event_id: uuid.UUID, actor: User, receipt: str, note: str) -> None:
    """Record the refund of money a success callback reported for no payment of ours. Audited;
    a second submission raises AlreadySettled and changes nothing."""
    settled = db.session.execute(
        update(PaymentEvent).where(PaymentEvent.id == event_id, PaymentEvent.kind == "callback",
                                   PaymentEvent.payment_id.is_(None), PaymentEvent.resolved_at.is_(None))
        .values(resolved_at=utcnow()).execution_options(synchronize_session=False)
    )
    if settled.rowcount != 1:
        raise AlreadySettled()
    db.session.add(AuditLog(actor_id=actor.id, action="payment.callback.refund", target_type="payment_event",
                            target_id=str(event_id), details={"receipt": receipt, "note": note}))


# ---------------------------------------------------------------- wording

def status_message(payment: Payment) -> str:
    """What the learner is told, by outcome and M-Pesa ResultCode."""
    code, status = payment.result_code, payment.status
    if awaiting_review(payment):
        return _("M-Pesa told us about this payment but we could not confirm it yet. Our team is checking it and "
                 "will give you the course or contact you; please do not pay again.")
    if status == S.PENDING:
        return _("Check your phone and enter your M-Pesa PIN to pay %(amount)s.", amount=format_kes(payment.amount))
    if status == S.SUCCESS:
        return _("Payment received. Your M-Pesa receipt number is %(receipt)s.", receipt=payment.mpesa_receipt or "—")
    if status == S.REFUNDED:
        if payment.attention == Attention.DUPLICATE_SUCCESS:
            return _("This payment was refunded because you had already paid for the course. You keep the course.")
        return _("This payment was refunded and the course access was removed.")
    if status == S.EXPIRED:
        return _("We did not hear back from M-Pesa in time. If money left your account, contact us with the "
                 "M-Pesa message; otherwise try again.")
    if status == S.PUSH_UNKNOWN:
        return _("M-Pesa did not confirm our request in time, but the prompt may still reach your phone. If it "
                 "does, you can pay; we will confirm it. You can start a new payment after %(time)s.",
                 time=format_time(retry_at(payment), "HH:mm"))
    if status == S.PUSH_FAILED:
        return _("We could not send the payment request to M-Pesa: %(reason)s", reason=payment.result_desc or "")
    if code == "1032":
        return _("You cancelled the M-Pesa request. No money was taken.")
    if code == "2001":
        return _("The M-Pesa PIN was wrong. No money was taken.")
    if code == "1":
        return _("Your M-Pesa balance is not enough for this payment. Top up and try again.")
    if code in ("1037", "1019"):
        return _("We could not reach your phone, or the request timed out. Make sure your phone is on and has "
                 "network, then try again.")
    if code == AMOUNT_MISMATCH:
        return _("The amount M-Pesa reported does not match the course price, so we could not give access. "
                 "Our team will review it and contact you.")
    return _("The payment did not go through: %(reason)s", reason=payment.result_desc or _("unknown error"))


# ---------------------------------------------------------------- the person's data (privacy calls these)

def has_payment_being_settled(user: User) -> bool:
    """Any payment of theirs, or refund on its way back to their M-Pesa, still in flight: erasing now could
    lose money (a refund transfer needs the phone it is sent to)."""
    paying = select(Payment.id).where(Payment.student_id == user.id, Payment.status.in_(IN_FLIGHT))
    refunding = select(Payout.id).join(RefundRequest, RefundRequest.id == Payout.refund_request_id).where(
        RefundRequest.student_id == user.id,
        Payout.status.in_((PayoutStatus.REQUESTED, PayoutStatus.APPROVED, PayoutStatus.SENT)))
    return db.session.scalar(paying.union_all(refunding).limit(1)) is not None


def refund_transfers(user: User):
    """A select of the transfers that sent their refunds back to them."""
    return select(Payout).join(RefundRequest, RefundRequest.id == Payout.refund_request_id).where(
        RefundRequest.student_id == user.id)


def export_user_data(user: User) -> dict[str, list[dict]]:
    payments = db.session.execute(
        select(Payment, Course.title).join(Course, Course.id == Payment.course_id)
        .where(Payment.student_id == user.id).order_by(Payment.created_at)).all()
    redemptions = db.session.execute(
        select(CouponRedemption, Coupon.code).join(Coupon, Coupon.id == CouponRedemption.coupon_id)
        .where(CouponRedemption.student_id == user.id).order_by(CouponRedemption.created_at)).all()
    refunds = db.session.scalars(select(RefundRequest).where(RefundRequest.student_id == user.id)
                                 .order_by(RefundRequest.created_at))
    return {
        "payments": [{"course": title, "amount_kes": p.amount, "status": p.status.value, "phone": p.phone_number,
                      "mpesa_receipt": p.mpesa_receipt, "date": p.created_at} for p, title in payments],
        "coupon_redemptions": [{"coupon": code, "amount_off_kes": r.amount_off, "date": r.created_at}
                               for r, code in redemptions],
        "refund_requests": [{"payment_id": r.payment_id, "reason": r.reason, "status": r.status.value,
                             "decision_note": r.decision_note, "date": r.created_at} for r in refunds],
        "payouts": [{"refund_amount_kes": t.amount, "to_phone": t.phone_number, "status": t.status.value,
                     "mpesa_transaction": t.transaction_id, "date": t.created_at}
                    for t in db.session.scalars(refund_transfers(user).order_by(Payout.created_at))],
    }


def erase_user_data(user: User) -> None:
    """What the law requires stays (the Tax Procedures Act keeps records five years): each payment's amount,
    date, status, course and M-Pesa receipt, coupon discounts and refund decisions, on the anonymised
    account, and each refund's transfer. The payer's phone (on payments and refund transfers), the raw M-Pesa
    callbacks and the words of a refund request go."""
    payment_ids = select(Payment.id).where(Payment.student_id == user.id).scalar_subquery()
    db.session.execute(update(PaymentEvent).where(PaymentEvent.payment_id.in_(payment_ids)).values(payload=None))
    db.session.execute(update(Payment).where(Payment.student_id == user.id).values(phone_number=""))
    db.session.execute(update(RefundRequest).where(RefundRequest.student_id == user.id).values(reason=""))
    transfers = refund_transfers(user).with_only_columns(Payout.id).scalar_subquery()
    db.session.execute(update(Payout).where(Payout.id.in_(transfers)).values(phone_number=""))


FINAL_PAYMENTS = (PaymentStatus.SUCCESS, PaymentStatus.FAILED, PaymentStatus.CANCELLED, PaymentStatus.EXPIRED,
                  PaymentStatus.REFUNDED, PaymentStatus.PUSH_FAILED)


def payer_ids():
    """A select of every account that ever started a payment."""
    return select(Payment.student_id)


def clear_settled_callbacks(received_before) -> int:
    """The raw M-Pesa callbacks of payments settled and not awaiting an operator; the payment keeps its facts."""
    settled = select(Payment.id).where(Payment.status.in_(FINAL_PAYMENTS), Payment.attention.is_(None))
    return db.session.execute(update(PaymentEvent).where(
        PaymentEvent.created_at < received_before, PaymentEvent.payload.is_not(None),
        PaymentEvent.payment_id.in_(settled)).values(payload=None)).rowcount
