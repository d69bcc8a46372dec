"""Payments no callback settled: status queries with backoff, and expiry after 15 minutes."""
from datetime import timedelta

from sqlalchemy import update

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
    db.session.execute(update(Payment).values(next_check_at=utcnow()))
    db.session.commit()
    tasks.reconcile_payments()
    payment = reloaded(payment)
    assert payment.status_checks == 2 and payment.next_check_at - utcnow() > timedelta(seconds=50)


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


def test_an_unreachable_payhero_leaves_the_payment_pending(checkout, payhero, app):
    payment = checkout()
    age(payment, 2)
    app.config["PAYHERO_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    tasks.reconcile_payments()
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.PENDING and payment.status_checks == 1

