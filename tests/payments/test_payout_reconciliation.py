"""Payouts stuck in SENT because no callback came: the reconciliation asks PayHero's transaction-status and
settles each once; a failed one is back in the balance. Its run by the real scheduler and worker:
tests/jobs/test_pipeline.py."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.payments import tasks
from mwanzo.payments.models import Payout, PayoutStatus
from tests.confirmations import post_confirmed
from tests.payments.test_payouts import PAYOUT_CALLBACK, ask_and_approve, balance, earner, payout  # noqa: F401


def sent_minutes_ago(row: Payout, minutes: float) -> None:
    db.session.execute(update(Payout).where(Payout.id == row.id)
                       .values(updated_at=utcnow() - timedelta(minutes=minutes)))
    db.session.commit()


def test_a_payout_whose_callback_never_came_is_paid_once_by_the_status_query(client, login, make, earner, payhero):
    sent = ask_and_approve(client, login, make, earner)
    payhero.settle(sent.provider_reference)  # paid, but the callback is lost
    assert tasks.reconcile_payouts() == 0  # sent just now: its callback may still come
    sent_minutes_ago(sent, 2)
    assert tasks.reconcile_payouts() == 1
    paid = payout()
    assert paid.status == PayoutStatus.PAID
    assert paid.transaction_id == payhero.transactions[sent.provider_reference]["receipt"]
    assert tasks.reconcile_payouts() == 0 and len(payhero.status_queries()) == 1
    # The late callback changes nothing.
    assert client.post(PAYOUT_CALLBACK, json=payhero.settle(sent.provider_reference)).status_code == 200
    assert payout().status == PayoutStatus.PAID and len(payhero.status_queries()) == 1
    login(earner)
    assert balance(client) == Decimal("2000.00")


def test_a_failed_payout_returns_to_the_balance_and_a_queued_one_is_asked_again_later(client, login, make, earner, payhero):
    failed = ask_and_approve(client, login, make, earner, amount="3000")
    login(earner)
    client.post("/studio/payouts", data={"amount": "1000", "phone": "0712345678"})
    queued = db.session.scalar(select(Payout).where(Payout.amount == Decimal("1000")))
    login(make.user(role=Role.ADMIN))
    assert post_confirmed(client, f"/admin/payouts/{queued.id}", action="approve").status_code == 303
    payhero.settle(failed.provider_reference, result_code=2001)
    sent_minutes_ago(failed, 2)
    sent_minutes_ago(queued, 2)
    assert tasks.reconcile_payouts() == 2
    db.session.expire_all()
    assert db.session.get(Payout, failed.id).status == PayoutStatus.FAILED
    assert db.session.get(Payout, queued.id).status == PayoutStatus.SENT  # PayHero has no outcome yet
    assert tasks.reconcile_payouts() == 0  # asked again a minute later, not at every tick
    sent_minutes_ago(queued, 2)
    payhero.settle(queued.provider_reference)
    assert tasks.reconcile_payouts() == 1
    db.session.expire_all()
    assert db.session.get(Payout, queued.id).status == PayoutStatus.PAID
    login(earner)
    assert balance(client) == Decimal("6000.00")  # 7,000 earned, 1,000 paid, the failed 3,000 back

