"""Money sent out through PayHero's withdraw (B2C) API, handled like payments: an instructor's payout (they
ask for part of their balance, an admin approves) or an approved refund going back to the learner's M-Pesa
(``send_refund``). Either way one pipeline: a job sends it once, PayHero's callback is stored raw and
settled in a job after transaction-status confirms it, and the reconciliation asks transaction-status about
what stays SENT with no callback. A withdraw whose answer never came (a timeout, a dropped connection) has
no PayHero reference: its callback is found by our external reference and, when it carries PayHero's
reference, that is kept and confirmed the same way; otherwise (transaction-status takes only PayHero's
reference) it waits on the admins' attention list, flagged at once by an unconfirmable callback or after
ATTENTION_AFTER, and an admin settles it from the M-Pesa statement (``settle_unanswered``). Every move is
one conditional UPDATE (``_move``), so a retried job, a double click, duplicate callbacks, a callback racing
the reconciliation or an admin pay nothing twice.

The balance is all-time net earnings (payments/earnings.py) less every payout not FAILED or REJECTED;
a failed or rejected payout is therefore back in the balance at once. A refund transfer that failed is
shown to admins, who send it again (``retry_refund``, a new external reference). The transfer it replaces is
kept (PayoutAttempt) and still found by its references: money M-Pesa confirms is never left unpaid for, so if
it paid after all (an admin had judged it failed from the statement) the refund is settled by it, a retry not
yet sent is not sent, and a retry that pays too puts the payout on the attention list as paid twice
(``overpaid_since``) for admins to recover the extra money."""
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
from mwanzo.payments.models import Payment, Payout, PayoutAttempt, PayoutEvent, PayoutStatus, RefundRequest
from mwanzo.payments.payhero import PushError, StatusUnavailable
from mwanzo.urls import absolute_url

P = PayoutStatus
HELD = (P.REQUESTED, P.APPROVED, P.SENT, P.PAID)
MOVES = {P.APPROVED: (P.REQUESTED,), P.REJECTED: (P.REQUESTED,), P.SENT: (P.APPROVED,),
         P.PAID: (P.SENT,), P.FAILED: (P.SENT,)}
# A payout still SENT this long after its last move, with no callback, is asked about by the reconciliation.
CHECK_AFTER = timedelta(minutes=1)
# A payout SENT with no PayHero reference this long (a callback would normally have come) goes to the admins.
ATTENTION_AFTER = timedelta(minutes=30)


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


def _move(payout: Payout, to: PayoutStatus, also_from: tuple[PayoutStatus, ...] = (), **values) -> bool:
    """The one way a payout changes status: True for the single caller that made the move."""
    allowed = Payout.status.in_(MOVES[to] + also_from)
    if to == P.APPROVED:  # a failed refund transfer is sent again; an instructor asks anew instead
        allowed |= (Payout.status == P.FAILED) & Payout.refund_request_id.is_not(None)
    if to == P.PAID:  # money PayHero confirms it sent is paid, also where an admin had judged it failed
        allowed |= (Payout.status == P.FAILED) & Payout.attention_since.is_not(None)
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
    previous, previous_provider = transfer.external_reference, transfer.provider_reference
    if transfer.refund_request_id is None or not _move(
            transfer, P.APPROVED, decided_by_id=admin.id, external_reference=new_reference("MWZR"),
            provider_reference=None, result_desc=None, settled_at=None, attention_since=None):
        raise AlreadyDecided()
    db.session.add(PayoutAttempt(payout_id=transfer.id, external_reference=previous,
                                 provider_reference=previous_provider))
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
    """Call PayHero once. A refusal fails the payout (back in the balance); a timeout or a dropped connection
    leaves it SENT with no PayHero reference: the money may be on its way; its callback (found by our external
    reference) or an admin settles it (``verify``, ``settle_unanswered``)."""
    payout = db.session.get(Payout, payout_id)
    try:
        result = services.get_provider().withdraw(**values)
    except PushError as exc:
        if exc.timed_out:
            record_event(payout.id, "withdraw_unknown", payload={"request": values}, note=exc.message)
        else:
            fail(payout, exc.message)
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


def find_payout(external: str | None, reference: str | None) -> Payout | None:
    """By our external reference first (a payout whose withdraw went unanswered has no other), then PayHero's;
    then by those of a transfer a retry replaced."""
    payout = services.named_by(Payout, ((Payout.external_reference, external), (Payout.provider_reference, reference)))
    if payout is not None:
        return payout
    attempt = find_attempt(external, reference)
    return db.session.get(Payout, attempt.payout_id) if attempt else None


def find_attempt(external: str | None, reference: str | None) -> PayoutAttempt | None:
    """The replaced transfer a callback is about, when it names none of a payout's current references."""
    return services.named_by(PayoutAttempt, ((PayoutAttempt.external_reference, external),
                                             (PayoutAttempt.provider_reference, reference)))


def record_callback(payload: dict) -> PayoutEvent:
    """Keep the raw body first; settling runs in a job after commit."""
    try:
        external, reference, _ = _read(payload)
    except UnreadableCallback as exc:
        return record_event(None, "callback_unreadable", payload=payload, note=str(exc))
    payout = find_payout(external, reference)
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
    external, reference, _ = _read(event.payload)
    payout = db.session.get(Payout, event.payout_id)
    if external != payout.external_reference and (not reference or reference != payout.provider_reference):
        attempt = find_attempt(external, reference)
        if attempt is not None and attempt.payout_id == payout.id:
            return verify_earlier(attempt, reference)
    verify(event.payout_id, "callback", callback_reference=reference)


def verify_earlier(attempt: PayoutAttempt, callback_reference: str | None) -> None:
    """PayHero's late word about a transfer a retry replaced. Once transaction-status confirms it paid, the
    refund is settled by it: a payout not yet sent again (APPROVED) or whose retry failed is PAID by its
    receipt (the send job then sends nothing), one whose retry is still SENT is settled by the retry's outcome
    (``fail`` and ``mark_paid`` look here first), and one the retry already paid was paid twice. What cannot be
    confirmed goes to the admins, as paid twice may have happened."""
    payout = lock(attempt.payout_id)
    db.session.refresh(attempt)
    if attempt.transaction_id:
        record_event(payout.id, "ignored", note=f"callback for the earlier transfer {attempt.external_reference}, "
                                                "already confirmed paid")
        return
    reference = attempt.provider_reference or callback_reference
    if not reference or not attempt.provider_reference and reference_taken(reference):
        return flag_overpaid(payout, f"a callback for the earlier transfer {attempt.external_reference} "
                                     "that cannot be confirmed")
    try:
        status = services.get_provider().transaction_status(reference)
    except StatusUnavailable as exc:
        record_event(payout.id, "status_query", note=str(exc)[:500])
        return flag_overpaid(payout, f"PayHero does not confirm the earlier transfer {attempt.external_reference}")
    record_event(payout.id, "status_query", payload=status.raw, note=f"earlier transfer {attempt.external_reference}: "
                                                                    f"{status.status}")
    attempt.provider_reference = reference
    if status.status != "SUCCESS":
        return
    attempt.transaction_id = status.receipt
    db.session.flush()
    if payout.status == P.PAID:
        flag_overpaid(payout, f"the earlier transfer {attempt.external_reference} was paid as well")
    elif payout.status == P.SENT:
        refund_sent(payout)
        record_event(payout.id, "earlier_paid", note=f"the earlier transfer {attempt.external_reference} was paid: "
                                                     "if this transfer pays too, admins recover one")
    else:
        mark_paid(payout, status.receipt, also_from=(P.APPROVED, P.FAILED))


def earlier_receipt(payout_id: uuid.UUID) -> str | None:
    """The M-Pesa receipt of a replaced transfer that was confirmed paid after all."""
    return db.session.scalar(select(PayoutAttempt.transaction_id).where(
        PayoutAttempt.payout_id == payout_id, PayoutAttempt.transaction_id.is_not(None)).limit(1))


def flag_overpaid(payout: Payout, why: str) -> None:
    payout.overpaid_since = payout.overpaid_since or utcnow()
    record_event(payout.id, "overpaid", note=f"{why}: admins check the M-Pesa statement and recover the extra money")


def fail(payout: Payout, why: str) -> bool:
    """SENT → FAILED (back in the balance, or a refund to send again), unless an earlier transfer of it was
    confirmed paid: then that one settles it, PAID by its receipt."""
    receipt = earlier_receipt(payout.id)
    if receipt:
        return mark_paid(payout, receipt)
    return _move(payout, P.FAILED, result_desc=why, settled_at=utcnow())


def due_for_check(now: datetime) -> list[uuid.UUID]:
    """SENT payouts no callback settled: sent at least CHECK_AFTER ago, with PayHero's reference to ask about
    (an unanswered withdraw has none: ``flag_unanswered`` hands it to the admins)."""
    return list(db.session.scalars(
        select(Payout.id).where(Payout.status == P.SENT, Payout.provider_reference.is_not(None),
                                Payout.updated_at <= now - CHECK_AFTER).order_by(Payout.updated_at).limit(200)))


def flag_unanswered(now: datetime) -> int:
    """SENT payouts with no PayHero reference ATTENTION_AFTER after they were sent, onto the admins' list."""
    return db.session.execute(
        update(Payout).where(Payout.status == P.SENT, Payout.provider_reference.is_(None),
                             Payout.attention_since.is_(None), Payout.updated_at <= now - ATTENTION_AFTER)
        .values(attention_since=now).execution_options(synchronize_session=False)).rowcount


def lock(payout_id: uuid.UUID) -> Payout | None:
    return db.session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update()
                             .execution_options(populate_existing=True))


def verify(payout_id: uuid.UUID, why: str, callback_reference: str | None = None) -> None:
    """Ask transaction-status about a SENT payout and settle it by the answer: PAID or FAILED once, whether a
    callback's job or the reconciliation asks (the row is locked, the move is conditional). A payout whose
    withdraw went unanswered is asked about by the PayHero reference its callback carries, kept once
    transaction-status knows it; a callback without one (or with one PayHero does not know) cannot be
    confirmed, so the payout goes to the admins."""
    payout = lock(payout_id)
    if not (payout.status == P.SENT or admin_failed(payout) and callback_reference):
        record_event(payout.id, "ignored", note=f"{why} for a payout already {payout.status}")
        return
    reference = payout.provider_reference or callback_reference
    if not reference:
        return needs_admin(payout, f"{why} without PayHero's reference")
    if not payout.provider_reference and reference_taken(reference):
        return needs_admin(payout, f"the {why} gave the reference {reference} of another transfer or payment")
    try:
        status = services.get_provider().transaction_status(reference)
    except StatusUnavailable as exc:
        record_event(payout.id, "status_query", note=str(exc)[:500])
        if not payout.provider_reference:
            needs_admin(payout, f"PayHero does not confirm the reference {reference} the {why} gave")
        return
    record_event(payout.id, "status_query", payload=status.raw, note=status.status)
    payout.provider_reference = reference
    if status.status == "SUCCESS":
        mark_paid(payout, status.receipt)
    elif status.status == "FAILED":
        fail(payout, status.description or "PayHero reported the payout failed.")
    else:  # no outcome yet: the reconciliation asks again CHECK_AFTER from now, not at every tick
        payout.updated_at = utcnow()


def admin_failed(payout: Payout) -> bool:
    """Failed by an admin's reading of the statement while PayHero never answered: PayHero's later word that it
    paid is still believed (PAID, out of the balance again), so the money is not sent a second time."""
    return payout.status == P.FAILED and payout.attention_since is not None


def reference_taken(reference: str) -> bool:
    """A callback naming another transaction's reference must not settle this payout by that one's outcome."""
    return any(db.session.scalar(select(model.id).where(model.provider_reference == reference).limit(1))
               for model in (Payout, Payment, PayoutAttempt))


def needs_admin(payout: Payout, why: str) -> None:
    payout.attention_since = payout.attention_since or utcnow()
    record_event(payout.id, "unconfirmable", note=f"{why}: an admin settles it from the M-Pesa statement")


def mark_paid(payout: Payout, receipt: str | None, also_from: tuple[PayoutStatus, ...] = ()) -> bool:
    """SENT → PAID once; a refund's transfer also marks the refund sent. Paid by a receipt other than an
    earlier transfer's that M-Pesa also confirmed: paid twice, flagged for the admins."""
    if not _move(payout, P.PAID, also_from, transaction_id=receipt, settled_at=utcnow()):
        return False
    earlier = earlier_receipt(payout.id)
    if earlier and earlier != receipt:
        flag_overpaid(payout, f"this transfer was paid ({receipt}) and so was an earlier one ({earlier})")
    refund_sent(payout)
    return True


def refund_sent(payout: Payout) -> None:
    """PayHero confirmed a refund's money back on the learner's M-Pesa."""
    if payout.refund_request_id:
        db.session.execute(update(RefundRequest).where(RefundRequest.id == payout.refund_request_id,
                                                       RefundRequest.sent_at.is_(None))
                           .values(sent_at=utcnow(), updated_at=utcnow())
                           .execution_options(synchronize_session=False))


def settle_unanswered(payout_id: uuid.UUID, admin: User, outcome: str, receipt: str | None, note: str) -> Payout:
    """An admin's answer, from the M-Pesa statement, for a payout on the attention list: "paid" (with the
    M-Pesa receipt) or "failed" (back in the balance; a refund's transfer may be sent again). Once: a second
    answer, or one after a callback settled it, raises services.AlreadySettled and changes nothing."""
    payout = lock(payout_id)
    if payout is None or payout.status != P.SENT or payout.attention_since is None:
        raise services.AlreadySettled()
    if outcome == "paid":
        if any(db.session.scalar(select(model.id).where(model.transaction_id == receipt).limit(1))
               for model in (Payout, PayoutAttempt)):
            raise services.ReceiptInUse()
        moved = mark_paid(payout, receipt)
    else:
        moved = fail(payout, note)
    if not moved:
        raise services.AlreadySettled()
    record_event(payout.id, "operator", payload={"by": admin.email, "outcome": outcome, "receipt": receipt}, note=note)
    record(admin, f"payout.settled_{outcome}", payout, amount=payout.amount, receipt=receipt, note=note)
    return payout


def unanswered_payouts(limit: int = 200) -> list[Payout]:
    """Payouts and refund transfers waiting for an admin's answer, oldest first."""
    return list(db.session.scalars(
        select(Payout).where(Payout.status == P.SENT, Payout.attention_since.is_not(None))
        .options(joinedload(Payout.instructor), joinedload(Payout.refund_request).joinedload(RefundRequest.student))
        .order_by(Payout.attention_since).limit(limit)))


def overpaid_payouts(limit: int = 200) -> list[Payout]:
    """Payouts M-Pesa paid twice (or may have: a callback for an earlier transfer that could not be confirmed)."""
    return list(db.session.scalars(
        select(Payout).where(Payout.overpaid_since.is_not(None))
        .options(joinedload(Payout.instructor), joinedload(Payout.refund_request).joinedload(RefundRequest.student))
        .order_by(Payout.overpaid_since).limit(limit)))


def timeline(payout_id: uuid.UUID) -> list[PayoutEvent]:
    return list(db.session.scalars(select(PayoutEvent).where(PayoutEvent.payout_id == payout_id)
                                   .order_by(PayoutEvent.created_at)))


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
