"""Races on money going out, on PostgreSQL against the local PayHero: two admins approving one payout (or one
refund) at the same instant, duplicate callbacks settled by several workers while the reconciliation asks
about the same payout. Each pays once; nobody's work fails."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.payments import payouts, refunds, tasks
from mwanzo.payments.models import Payment, PaymentStatus, Payout, PayoutEvent, PayoutStatus, RefundRequest
from tests.concurrency import run_together
from tests.payments.test_payouts import earner  # noqa: F401  (fixture)

ROUNDS = 5
ADMINS = 2
WORKERS = 4


def requested(instructor, amount="1000") -> Payout:
    payout = payouts.request_payout(instructor, Decimal(amount), "254712345678")
    db.session.commit()
    return payout


def race_admins(app, act, admins: list[User]) -> list[str]:
    """Each admin does act(admin) in their own session at the same instant; what each was told."""
    told: list[str] = []

    def decide(barrier, admin_id):
        admin = db.session.get(User, admin_id)
        barrier.wait()
        try:
            act(admin)
            db.session.commit()
            told.append("done")
        except (payouts.AlreadyDecided, refunds.AlreadyDecided):
            db.session.rollback()
            told.append("already decided")

    errors = run_together(app, decide, each=[admin.id for admin in admins])
    assert errors == []
    return sorted(told)


@pytest.mark.postgres
def test_two_admins_approving_one_payout_at_once_send_it_once(postgres, app, make, earner, payhero):
    admins = [make.user(role=Role.ADMIN) for _ in range(ADMINS)]
    for round_number in range(ROUNDS):
        payout_id = requested(earner).id

        def approve(admin):
            payouts.approve(db.session.get(Payout, payout_id), admin)

        assert race_admins(app, approve, admins) == ["already decided", "done"], f"round {round_number}"
        assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "payout.approved", AuditLog.target_id == str(payout_id))) == 1
    assert len(payhero.withdrawals()) == ROUNDS
    assert len({w["body"]["external_reference"] for w in payhero.withdrawals()}) == ROUNDS


@pytest.mark.postgres
def test_duplicate_callbacks_and_the_reconciliation_at_once_pay_a_payout_once(postgres, app, make, earner,
                                                                              payhero, client, login):
    admin = make.user(role=Role.ADMIN)
    for round_number in range(ROUNDS):
        payout = requested(earner)
        payouts.approve(payout, admin)
        db.session.commit()  # the job sends it (JOB_RUNNER=sync)
        db.session.refresh(payout)
        body = payhero.settle(payout.provider_reference)
        events = [payouts.record_event(payout.id, "callback", payload=body) for _ in range(WORKERS)]
        db.session.execute(update(Payout).where(Payout.id == payout.id)
                           .values(updated_at=utcnow() - timedelta(minutes=2)))  # due for the reconciliation too
        db.session.commit()
        queries_before = len(payhero.status_queries())

        def settle(barrier, event_id):
            barrier.wait()
            if event_id is None:
                tasks.reconcile_payouts()
            else:
                tasks.settle_payout_callback(event_id)

        errors = run_together(app, settle, each=[str(event.id) for event in events] + [None])
        assert errors == [], f"round {round_number}: {errors!r}"
        db.session.expire_all()
        paid = db.session.get(Payout, payout.id)
        assert paid.status == PayoutStatus.PAID and paid.transaction_id
        assert len(payhero.status_queries()) == queries_before + 1  # asked once; the rest saw it PAID
        assert db.session.scalar(select(func.count()).select_from(PayoutEvent).where(
            PayoutEvent.payout_id == payout.id, PayoutEvent.kind == "ignored")) == WORKERS
    login(earner)
    page = client.get("/studio/earnings").get_data(as_text=True)
    assert 'data-balance="2000.00"' in page  # 7,000 earned, 5 × 1,000 paid once each


@pytest.mark.postgres
def test_two_admins_approving_one_refund_at_once_send_it_back_once_and_retry_once(postgres, app, make, payhero):
    admins = [make.user(role=Role.ADMIN) for _ in range(ADMINS)]
    learner = make.user(email="njeri@example.com")
    course = make.course(price=800)
    payment = make.payment(make.enrollment(learner, course), "800", PaymentStatus.SUCCESS, mpesa_receipt="SKQ96C7K7H",
                           settled_at=utcnow())
    refund = RefundRequest(payment_id=payment.id, student_id=learner.id, reason="Not for me", watched_percent=0)
    db.session.add(refund)
    db.session.commit()
    payhero.withdraw_mode = "reject"  # the first transfer fails, so it can be sent again

    def approve(admin):
        refunds.approve(refunds.get_request(refund.id), admin, "Fair")

    assert race_admins(app, approve, admins) == ["already decided", "done"]
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED
    [transfer] = db.session.scalars(select(Payout).where(Payout.refund_request_id == refund.id))
    assert transfer.status == PayoutStatus.FAILED and len(payhero.withdrawals()) == 1

    payhero.withdraw_mode = "ok"

    def retry(admin):
        payouts.retry_refund(payouts.refund_transfer(refund.id), admin)

    assert race_admins(app, retry, admins) == ["already decided", "done"]
    assert len(payhero.withdrawals()) == 2
    db.session.expire_all()
    assert db.session.get(Payout, transfer.id).status == PayoutStatus.SENT
