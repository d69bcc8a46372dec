"""Money sent out through PayHero's withdraw (B2C) API, handled like payments: an instructor's payout (they
ask for part of their balance, an admin approves) or an approved refund going back to the learner's M-Pesa
(``send_refund``). Either way one pipeline: a job sends it once, PayHero's callback is stored raw and
settled in a job after transaction-status confirms it, and the reconciliation asks transaction-status about
what stays SENT with no callback. Every move is one conditional UPDATE (``_move``), so a retried job, a
double click, duplicate callbacks or a callback racing the reconciliation pay nothing twice.

The balance is all-time net earnings (payments/earnings.py) less every payout not FAILED or REJECTED;
a failed or rejected payout is therefore back in the balance at once. A refund transfer that failed is
shown to admins, who send it again (``retry_refund``, a new external reference)."""
from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from mwanzo import jobs
from mwanzo.audit import record
from mwanzo.auth.models import User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.payments import earnings, services
from mwanzo.payments.callbacks import UnreadableCallback, is_zero, text
from mwanzo.payments.models import Payment, Payout, PayoutEvent, PayoutStatus, RefundRequest
from mwanzo.payments.payhero import PushError, StatusUnavailable
from mwanzo.urls import absolute_url

P = PayoutStatus
HELD = (P.REQUESTED, P.APPROVED, P.SENT, P.PAID)
MOVES = {P.APPROVED: (P.REQUESTED,), P.REJECTED: (P.REQUESTED,), P.SENT: (P.APPROVED,),
         P.PAID: (P.SENT,), P.FAILED: (P.SENT,)}
# A payout still SENT this long after its last move, with no callback, is asked about by the reconciliation.
CHECK_AFTER = timedelta(minutes=1)


class PayoutError(Exception):
    """A payout move the rules refuse (its message says why)."""


class OverBalance(PayoutError):
    """More than the instructor's balance."""


class AlreadyDecided(PayoutError):
    """The payout has moved on (another admin, a double click)."""


def balance(instructor_id: uuid.UUID) -> Decimal:
    held = db.session.scalar(select(func.coalesce(func.sum(Payout.amount), 0))
                             .where(Payout.instructor_id == instructor_id, Payout.status.in_(HELD)))
    return earnings.all_time_net(instructor_id) - Decimal(held)


def record_event(payout_id, kind: str, payload=None, note: str | None = None) -> PayoutEvent:
    event = PayoutEvent(payout_id=payout_id, kind=kind, payload=payload, note=note)
    db.session.add(event)
    db.session.flush()
    return event


def _move(payout: Payout, to: PayoutStatus, **values) -> bool:
    """The one way a payout changes status: True for the single caller that made the move."""
    allowed = Payout.status.in_(MOVES[to])
    if to == P.APPROVED:  # a failed refund transfer is sent again; an instructor asks anew instead
        allowed |= (Payout.status == P.FAILED) & Payout.refund_request_id.is_not(None)
    moved = db.session.execute(
        update(Payout).where(Payout.id == payout.id, allowed)
        .values(status=to, updated_at=utcnow(), **values).execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(payout)
    return moved


def request_payout(instructor: User, amount: Decimal, phone: str) -> Payout:
    # The instructor's row locked until commit: two requests at once cannot both spend one balance.
    db.session.execute(update(User).where(User.id == instructor.id).values(updated_at=utcnow())
                       .execution_options(synchronize_session=False))
    if amount > balance(instructor.id):
        raise OverBalance()
    payout = Payout(instructor_id=instructor.id, amount=amount, phone_number=phone,
                    external_reference=new_reference("MWZP"))
    db.session.add(payout)
    db.session.flush()
    record(instructor, "payout.requested", payout, amount=amount, phone=phone)
    return payout


def new_reference(prefix: str) -> str:
    """A fresh external reference: PayHero's callback finds the transfer by it (unique in the table)."""
    return f"{prefix}-{secrets.token_hex(6).upper()}"


def enqueue_sending(payout: Payout) -> None:
    from mwanzo.payments.tasks import send_payout

    jobs.enqueue(send_payout, str(payout.id))


def approve(payout: Payout, admin: User) -> None:
    if not _move(payout, P.APPROVED, decided_by_id=admin.id):
        raise AlreadyDecided()
    record(admin, "payout.approved", payout, amount=payout.amount)
    enqueue_sending(payout)


def send_refund(refund: RefundRequest, payment: Payment, admin: User) -> Payout:
    """The approved refund's money back to the M-Pesa number that paid, through the payouts' pipeline.
    One transfer per request (a unique constraint): a second approval cannot send it twice."""
    transfer = Payout(refund_request_id=refund.id, amount=payment.amount, phone_number=payment.phone_number,
                      status=P.APPROVED, decided_by_id=admin.id, external_reference=new_reference("MWZR"))
    db.session.add(transfer)
    db.session.flush()
    record(admin, "refund.transfer", ("payment", payment.id), amount=payment.amount, phone=payment.phone_number,
           external_reference=transfer.external_reference)
    enqueue_sending(transfer)
    return transfer


def retry_refund(transfer: Payout, admin: User) -> None:
    """A failed refund transfer sent again under a new external reference (the failed one stays in the
    timeline); only a FAILED refund transfer moves, once, however many admins press the button."""
    previous = transfer.external_reference
    if transfer.refund_request_id is None or not _move(
            transfer, P.APPROVED, decided_by_id=admin.id, external_reference=new_reference("MWZR"),
            provider_reference=None, result_desc=None, settled_at=None):
        raise AlreadyDecided()
    record_event(transfer.id, "retried", payload={"previous_external_reference": previous}, note=admin.email)
    record(admin, "refund.transfer_retried", transfer, amount=transfer.amount,
           external_reference=transfer.external_reference)
    enqueue_sending(transfer)


def reject(payout: Payout, admin: User, note: str) -> None:
    if not _move(payout, P.REJECTED, decided_by_id=admin.id, result_desc=note):
        raise AlreadyDecided()
    record(admin, "payout.rejected", payout, amount=payout.amount, note=note)


def callback_url() -> str:
    return absolute_url("payments.payout_callback", token=services.callback_token())


def start_sending(payout_id: uuid.UUID) -> dict | None:
    """APPROVED → SENT, to be committed before PayHero is called, so a retried job never withdraws twice.
    The withdraw request's values, or None when this payout is not waiting to be sent."""
    payout = db.session.get(Payout, payout_id)
    if payout is None or not _move(payout, P.SENT):
        return None
    return dict(amount=int(payout.amount), phone=payout.phone_number, external_reference=payout.external_reference,
                callback_url=callback_url())


def withdraw(payout_id: uuid.UUID, values: dict) -> None:
    """Call PayHero once. A refusal fails the payout (back in the balance); a timeout leaves it SENT: the
    money may be on its way, and its callback settles it."""
    payout = db.session.get(Payout, payout_id)
    try:
        result = services.get_provider().withdraw(**values)
    except PushError as exc:
        if exc.timed_out:
            record_event(payout.id, "withdraw_unknown", payload={"request": values}, note=exc.message)
        else:
            _move(payout, P.FAILED, result_desc=exc.message, settled_at=utcnow())
            record_event(payout.id, "withdraw_failed", payload={"request": values, "response": exc.raw},
                         note=exc.message)
        return
    payout.provider_reference = result.reference
    record_event(payout.id, "withdraw", payload={"request": values, "response": result.raw})


def _read(payload) -> tuple[str | None, str | None, bool]:
    """(external reference, PayHero reference, succeeded) from a withdrawal callback."""
    inner = payload.get("response") if isinstance(payload, dict) else None
    if not isinstance(inner, dict) or "ResultCode" not in inner:
        raise UnreadableCallback("no response.ResultCode")
    return text(inner.get("ExternalReference")), text(inner.get("reference") or inner.get("Reference")), \
        is_zero(inner.get("ResultCode"))


def record_callback(payload: dict) -> PayoutEvent:
    """Keep the raw body first; settling runs in a job after commit."""
    try:
        external, reference, _ = _read(payload)
    except UnreadableCallback as exc:
        return record_event(None, "callback_unreadable", payload=payload, note=str(exc))
    payout = db.session.scalar(select(Payout).where(
        (Payout.external_reference == external) | (Payout.provider_reference == reference)))
    event = record_event(payout.id if payout else None, "callback", payload=payload,
                         note=None if payout else "no payout with this reference")
    if payout is not None:
        from mwanzo.payments.tasks import settle_payout_callback

        jobs.enqueue(settle_payout_callback, str(event.id))
    return event


def settle_callback(event_id) -> None:
    """Believe transaction-status, not the body: PAID or FAILED once, however many callbacks arrive."""
    event = db.session.get(PayoutEvent, uuid.UUID(str(event_id)))
    if event is None or event.payout_id is None or event.kind != "callback":
        return
    verify(event.payout_id, "callback")


def due_for_check(now: datetime) -> list[uuid.UUID]:
    """SENT payouts no callback settled: sent at least CHECK_AFTER ago, with PayHero's reference to ask about
    (a withdraw that timed out has none to ask about: it stays SENT, as admins see it on /admin/payouts)."""
    return list(db.session.scalars(
        select(Payout.id).where(Payout.status == P.SENT, Payout.provider_reference.is_not(None),
                                Payout.updated_at <= now - CHECK_AFTER).order_by(Payout.updated_at).limit(200)))


def verify(payout_id: uuid.UUID, why: str) -> None:
    """Ask transaction-status about a SENT payout and settle it by the answer: PAID or FAILED once, whether a
    callback's job or the reconciliation asks (the row is locked, the move is conditional)."""
    payout = db.session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update()
                               .execution_options(populate_existing=True))
    if payout.status != P.SENT or not payout.provider_reference:
        record_event(payout.id, "ignored", note=f"{why} for a payout already {payout.status}")
        return
    try:
        status = services.get_provider().transaction_status(payout.provider_reference)
    except StatusUnavailable as exc:
        record_event(payout.id, "status_query", note=str(exc)[:500])
        return
    record_event(payout.id, "status_query", payload=status.raw, note=status.status)
    if status.status == "SUCCESS":
        if _move(payout, P.PAID, transaction_id=status.receipt, settled_at=utcnow()) and payout.refund_request_id:
            db.session.execute(update(RefundRequest).where(RefundRequest.id == payout.refund_request_id,
                                                           RefundRequest.sent_at.is_(None))
                               .values(sent_at=utcnow(), updated_at=utcnow())
                               .execution_options(synchronize_session=False))
    elif status.status == "FAILED":
        _move(payout, P.FAILED, result_desc=status.description or "PayHero reported the payout failed.",
              settled_at=utcnow())
    else:  # no outcome yet: the reconciliation asks again CHECK_AFTER from now, not at every tick
        payout.updated_at = utcnow()


def instructor_payouts(instructor_id: uuid.UUID) -> list[Payout]:
    return list(db.session.scalars(select(Payout).where(Payout.instructor_id == instructor_id)
                                   .order_by(Payout.created_at.desc()).limit(50)))


def admin_payouts(limit: int = 200) -> list[Payout]:
    """Instructors' payouts (refund transfers are shown with their refunds)."""
    return list(db.session.scalars(select(Payout).where(Payout.instructor_id.is_not(None))
                                   .options(joinedload(Payout.instructor))
                                   .order_by(Payout.created_at.desc()).limit(limit)))


def refund_transfers(limit: int = 200) -> list[Payout]:
    """Approved refunds whose money PayHero has not yet confirmed back on the learner's M-Pesa, failed first."""
    return list(db.session.scalars(
        select(Payout).join(RefundRequest, RefundRequest.id == Payout.refund_request_id)
        .where(Payout.status != P.PAID)
        .options(joinedload(Payout.refund_request).joinedload(RefundRequest.student),
                 joinedload(Payout.refund_request).joinedload(RefundRequest.payment).joinedload(Payment.course))
        .order_by((Payout.status == P.FAILED).desc(), Payout.created_at).limit(limit)))


def refund_transfer(refund_id: uuid.UUID) -> Payout | None:
    return db.session.scalar(select(Payout).where(Payout.refund_request_id == refund_id))
