"""Instructor payouts through PayHero's withdraw (B2C) API, handled like payments: an instructor asks for
part of their balance, an admin approves, a job sends it once, PayHero's callback is stored raw and
settled in a job after transaction-status confirms it. Every move is one conditional UPDATE
(``_move``), so a retried job, a double click or duplicate callbacks pay nothing twice.

The balance is all-time net earnings (payments/earnings.py) less every payout not FAILED or REJECTED;
a failed or rejected payout is therefore back in the balance at once."""
from __future__ import annotations

import secrets
import uuid
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
from mwanzo.payments.models import Payout, PayoutEvent, PayoutStatus
from mwanzo.payments.payhero import PushError, StatusUnavailable
from mwanzo.urls import absolute_url

P = PayoutStatus
HELD = (P.REQUESTED, P.APPROVED, P.SENT, P.PAID)
MOVES = {P.APPROVED: (P.REQUESTED,), P.REJECTED: (P.REQUESTED,), P.SENT: (P.APPROVED,),
         P.PAID: (P.SENT,), P.FAILED: (P.SENT,)}


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
    moved = db.session.execute(
        update(Payout).where(Payout.id == payout.id, Payout.status.in_(MOVES[to]))
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
                    external_reference=f"MWZP-{secrets.token_hex(6).upper()}")
    db.session.add(payout)
    db.session.flush()
    record(instructor, "payout.requested", payout, amount=amount, phone=phone)
    return payout


def approve(payout: Payout, admin: User) -> None:
    if not _move(payout, P.APPROVED, decided_by_id=admin.id):
        raise AlreadyDecided()
    record(admin, "payout.approved", payout, amount=payout.amount)
    from mwanzo.payments.tasks import send_payout

    jobs.enqueue(send_payout, str(payout.id))


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
    payout = db.session.scalar(select(Payout).where(Payout.id == event.payout_id).with_for_update()
                               .execution_options(populate_existing=True))
    if payout.status != P.SENT or not payout.provider_reference:
        record_event(payout.id, "ignored", note=f"callback for a payout already {payout.status}")
        return
    try:
        status = services.get_provider().transaction_status(payout.provider_reference)
    except StatusUnavailable as exc:
        record_event(payout.id, "status_query", note=str(exc)[:500])
        return
    record_event(payout.id, "status_query", payload=status.raw, note=status.status)
    if status.status == "SUCCESS":
        _move(payout, P.PAID, transaction_id=status.receipt, settled_at=utcnow())
    elif status.status == "FAILED":
        _move(payout, P.FAILED, result_desc=status.description or "PayHero reported the payout failed.",
              settled_at=utcnow())


def instructor_payouts(instructor_id: uuid.UUID) -> list[Payout]:
    return list(db.session.scalars(select(Payout).where(Payout.instructor_id == instructor_id)
                                   .order_by(Payout.created_at.desc()).limit(50)))


def admin_payouts(limit: int = 200) -> list[Payout]:
    return list(db.session.scalars(select(Payout).options(joinedload(Payout.instructor))
                                   .order_by(Payout.created_at.desc()).limit(limit)))
