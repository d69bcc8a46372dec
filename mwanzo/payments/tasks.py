"""Payment jobs: settle a stored callback, reconcile what no callback settled, play the sandbox phone, send
and settle payouts (instructors' and refunds'), reconcile payouts no callback settled."""
from __future__ import annotations

import logging
import uuid

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.payments import payouts, sandbox, services

log = logging.getLogger(__name__)


@job()
def settle_callback(event_id: str) -> None:
    """Idempotent: settling the same callback twice changes nothing the second time."""
    services.settle_callback_event(event_id)
    db.session.commit()


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def reconcile_payments() -> int:
    """Periodic (every 30 s): query transaction-status for payments still in flight a minute after
    checkout, every 30 s for four checks, then backing off to every 5 minutes; expire them after
    15 minutes without an outcome."""
    now = utcnow()
    ids = services.due_for_check(now)
    for payment_id in ids:
        try:
            services.reconcile_payment(payment_id, now)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reconciling payment %s failed", payment_id)
    return len(ids)


@job()
def deliver_sandbox_callback(event_id: str) -> None:
    sandbox.deliver_callback(event_id)


@job()
def send_payout(payout_id: str) -> None:
    """Marked SENT and committed before PayHero is called: a retry of this job sends nothing again."""
    values = payouts.start_sending(uuid.UUID(payout_id))
    db.session.commit()
    if values is not None:
        payouts.withdraw(uuid.UUID(payout_id), values)
        db.session.commit()


@job()
def settle_payout_callback(event_id: str) -> None:
    """Idempotent: a payout is PAID or FAILED once, however many callbacks arrive."""
    payouts.settle_callback(event_id)
    db.session.commit()


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def reconcile_payouts() -> int:
    """Periodic (every 30 s): ask transaction-status about each payout still SENT a minute after it was sent
    with no callback; PAID or FAILED (back in the balance) once, as a callback would."""
    ids = payouts.due_for_check(utcnow())
    for payout_id in ids:
        try:
            payouts.verify(payout_id, "reconciliation")
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("reconciling payout %s failed", payout_id)
    return len(ids)
