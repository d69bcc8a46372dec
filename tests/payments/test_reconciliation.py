"""Payments no callback settled: status queries with backoff, and expiry after 15 minutes."""
from datetime import timedelta

from sqlalchemy import select, update

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments import tasks
from mwanzo.payments.models import Payment, PaymentStatus
from tests.emails import emails_to


def age(payment: Payment, minutes: float) -> None:
    """Pretend the checkout happened `minutes` ago."""
    started = utcnow() - timedelta(minutes=minutes)
    db.session.execute(update(Payment).where(Payment.id == payment.id)
                       .values(created_at=started, next_check_at=started + timedelta(seconds=60)))
    db.session.commit()


def reloaded(payment: Payment) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def test_a_lost_callback_is_settled_by_the_status_query(checkout, payhero):
    payment = checkout()
    payhero.answer(payment.provider_reference, send=False)  # paid, but the callback never arrives
    assert tasks.reconcile_payments() == 0  # too young to ask about
    age(payment, 2)
    assert tasks.reconcile_payments() == 1
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.SUCCESS
    assert payment.mpesa_receipt == payhero.transactions[payment.provider_reference]["receipt"]
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert len(emails_to("njeri@example.com", "payment_receipt")) == 1
    assert tasks.reconcile_payments() == 0 and len(payhero.status_queries()) == 1


def elapse(seconds: float) -> None:
    """Let time pass for every payment: shift its clock back instead of sleeping."""
    shift = timedelta(seconds=seconds)
    for payment in db.session.scalars(select(Payment)):
        payment.created_at -= shift
        payment.next_check_at = payment.next_check_at and payment.next_check_at - shift
    db.session.commit()


def test_still_queued_payments_are_asked_again_later_with_backoff(checkout, payhero):
    payment = checkout()
    age(payment, 2)
    tasks.reconcile_payments()
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.PENDING and payment.status_checks == 1
    first_wait = payment.next_check_at - utcnow()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)
    tasks.reconcile_payments()
    assert len(payhero.status_queries()) == 1  # not due yet
    for checks in range(2, 7):
        db.session.execute(update(Payment).values(next_check_at=utcnow()))
        db.session.commit()
        tasks.reconcile_payments()
        wait = reloaded(payment).next_check_at - utcnow()
        expected = {2: 30, 3: 30, 4: 30, 5: 60, 6: 120}[checks]
        assert timedelta(seconds=expected - 10) < wait <= timedelta(seconds=expected), checks
    assert len(payhero.status_queries()) == 6


def test_a_lost_callback_is_settled_within_three_minutes_of_checkout(checkout, payhero):
    """The job runs every 30 s. PayHero learns the outcome late (150 s after checkout) and its
    callback to us is lost: the payment is still paid by the 180 s tick."""
    payment = checkout()
    for tick in range(1, 7):  # 30 s, 60 s, ... 180 s after checkout
        elapse(30)
        tasks.reconcile_payments()
        if tick == 5:  # just after our 150 s query
            payhero.answer(payment.provider_reference, send=False)
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.SUCCESS
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert len(payhero.status_queries()) == 5  # at 60, 90, 120, 150 and 180 s


def test_a_failure_found_by_the_status_query_closes_the_payment(checkout, payhero):
    payment = checkout()
    payhero.answer(payment.provider_reference, 1032, send=False)
    age(payment, 3)
    tasks.reconcile_payments()
    assert reloaded(payment).status == PaymentStatus.FAILED
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.PENDING_PAYMENT


def test_no_outcome_after_15_minutes_expires_the_payment(checkout, payhero, client):
    payment = checkout()
    age(payment, 16)
    tasks.reconcile_payments()
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.EXPIRED
    page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "We did not hear back from M-Pesa in time" in page and "Try again" in page


def test_an_unreachable_payhero_leaves_the_payment_pending(checkout, payhero, app, settings):
    payment = checkout()
    age(payment, 2)
    settings(PAYHERO_BASE_URL="http://127.0.0.1:9")  # nothing listens there
    tasks.reconcile_payments()
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.PENDING and payment.status_checks == 1

