"""An approved refund goes back to the learner's M-Pesa through PayHero's withdraw (B2C), the payouts' own
pipeline, against the local PayHero: sent once, its callback stored raw, verified with transaction-status and
applied once; "sent" only when PayHero confirms it; a failed transfer is shown to admins, who send it again."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments import refunds
from mwanzo.payments.models import Payment, PaymentStatus, Payout, PayoutEvent, PayoutStatus, RefundRequest
from tests.confirmations import confirmation_token, post_confirmed
from tests.queries import count_queries
from tests.payments.test_payouts import PAYOUT_CALLBACK


@pytest.fixture
def asked(make):
    """A learner who paid KES 1,275 (after a coupon) from 0722 000 111 yesterday and asked for a refund."""
    learner = make.user(email="njeri@example.com", name="Njeri Wambui")
    course = make.course(price=1500, title="Poultry keeping")
    enrollment = make.enrollment(learner, course)
    payment = make.payment(enrollment, "1275", PaymentStatus.SUCCESS, mpesa_receipt="SKQ96C7K7H",
                           phone_number="254722000111", settled_at=utcnow() - timedelta(days=1))
    refund = RefundRequest(payment_id=payment.id, student_id=learner.id, reason="Not for me", watched_percent=0)
    db.session.add(refund)
    db.session.commit()
    return learner, payment, refund


def transfer() -> Payout:
    db.session.expire_all()
    return db.session.scalar(select(Payout).where(Payout.refund_request_id.is_not(None)))


def approve(client, login, make, refund):
    login(make.user(role=Role.ADMIN))
    response = post_confirmed(client, f"/admin/refunds/{refund.id}", action="approve", note="Fair request")
    assert response.status_code == 303
    return transfer()


def send_again(client, refund, token=None):
    """The "Send the refund again" button on the refund's page."""
    token = token or confirmation_token(client, f"/admin/refunds/{refund.id}")
    return client.post(f"/admin/refunds/{refund.id}/retry", data={"confirm_token": token})


def test_an_approved_refund_is_sent_back_once_and_marked_sent_on_the_confirmed_callback(
        client, login, make, asked, payhero):
    learner, payment, refund = asked
    sent = approve(client, login, make, refund)
    assert sent.status == PayoutStatus.SENT and sent.instructor_id is None
    [withdrawal] = payhero.withdrawals()
    assert withdrawal["body"]["amount"] == 1275 and withdrawal["body"]["phone_number"] == "0722000111"
    assert withdrawal["body"]["external_reference"] == sent.external_reference
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED
    assert db.session.scalar(select(Enrollment.status)) == EnrollmentStatus.REVOKED
    login(learner)
    assert "on its way to your M-Pesa" in client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    assert db.session.get(RefundRequest, refund.id).sent_at is None  # not before PayHero confirms it

    body = payhero.settle(sent.provider_reference)
    for _ in range(3):  # duplicate deliveries
        assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    paid = transfer()
    assert paid.status == PayoutStatus.PAID and paid.transaction_id == body["response"]["TransactionID"]
    assert db.session.get(RefundRequest, refund.id).sent_at is not None
    stored = db.session.scalars(select(PayoutEvent.payload).where(PayoutEvent.kind == "callback")).all()
    assert stored == [body] * 3  # kept raw
    assert len(payhero.withdrawals()) == 1 and len(payhero.status_queries()) == 1
    assert "was sent to your M-Pesa" in client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "refund.transfer"))["amount"] == "1275.00"


def test_a_refund_transfer_never_counts_against_an_instructors_balance(client, login, make, asked, payhero):
    """The learner here also teaches: their balance is their earnings, whatever their refunds do."""
    learner, payment, refund = asked
    learner.role = Role.INSTRUCTOR
    learner.is_email_verified = True
    db.session.commit()
    approve(client, login, make, refund)
    login(learner)
    assert 'data-balance="0.00"' in client.get("/studio/earnings").get_data(as_text=True)
    assert client.get("/admin/payouts").status_code == 403
    login(make.user(role=Role.ADMIN))
    assert "0722" not in client.get("/admin/payouts").get_data(as_text=True)  # refunds are not instructors' payouts
    assert client.get(f"/admin/payouts/{transfer().id}").status_code == 404


def test_a_failed_refund_transfer_is_shown_to_admins_and_sent_again_once(client, login, make, asked, payhero):
    learner, payment, refund = asked
    sent = approve(client, login, make, refund)
    first_reference = sent.external_reference
    body = payhero.settle(sent.provider_reference, result_code=2001, desc="The initiator is not allowed")
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    assert transfer().status == PayoutStatus.FAILED
    page = client.get("/admin/refunds").get_data(as_text=True)
    assert 'data-transfer="FAILED"' in page and "Send again" in page

    token = confirmation_token(client, f"/admin/refunds/{refund.id}")
    assert send_again(client, refund, token).status_code == 303
    assert send_again(client, refund, token).status_code == 303  # a double click
    again = transfer()
    assert again.status == PayoutStatus.SENT and again.external_reference != first_reference
    assert [w["body"]["external_reference"] for w in payhero.withdrawals()] == [first_reference,
                                                                                 again.external_reference]
    assert client.post(PAYOUT_CALLBACK, json=payhero.settle(again.provider_reference)).status_code == 200
    assert transfer().status == PayoutStatus.PAID
    assert db.session.get(RefundRequest, refund.id).sent_at is not None
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "refund.transfer_retried")) == 1
    assert 'data-transfer="FAILED"' not in client.get("/admin/refunds").get_data(as_text=True)


def test_a_transfer_payhero_refuses_fails_at_once_and_a_forged_success_is_not_believed(
        client, login, make, asked, payhero):
    learner, payment, refund = asked
    payhero.withdraw_mode = "reject"
    assert approve(client, login, make, refund).status == PayoutStatus.FAILED
    payhero.withdraw_mode = "ok"
    send_again(client, refund)
    sent = transfer()
    forged = {"status": True, "response": {"ExternalReference": sent.external_reference, "ResultCode": 0,
                                           "TransactionID": "FAKE123", "reference": sent.provider_reference}}
    assert client.post(PAYOUT_CALLBACK, json=forged).status_code == 200
    assert transfer().status == PayoutStatus.SENT
    assert db.session.get(RefundRequest, refund.id).sent_at is None


def test_only_admins_send_a_refund_again(client, login, make, asked, payhero):
    learner, payment, refund = asked
    payhero.withdraw_mode = "reject"
    approve(client, login, make, refund)
    login(learner)
    assert client.post(f"/admin/refunds/{refund.id}/retry").status_code == 403
    login(make.user(role=Role.ADMIN))
    assert client.post(f"/admin/refunds/{refund.id}/retry").status_code == 400  # no confirmation
    assert transfer().status == PayoutStatus.FAILED and Decimal(transfer().amount) == Decimal("1275")


def test_the_refunds_page_loads_transfers_in_a_fixed_number_of_queries(client, login, make, payhero):
    payhero.withdraw_mode = "reject"
    admin = login(make.user(role=Role.ADMIN))
    counts = []
    for round_number in range(2):
        for n in range(3):
            learner = make.user(email=f"learner{round_number}{n}@example.com")
            payment = make.payment(make.enrollment(learner, make.course(price=500)), "500", PaymentStatus.SUCCESS,
                                   settled_at=utcnow())
            refund = RefundRequest(payment_id=payment.id, student_id=learner.id, reason="No", watched_percent=0)
            db.session.add(refund)
            db.session.commit()
            refunds.approve(refund, admin, "ok")
            db.session.commit()
        with count_queries() as statements:
            page = client.get("/admin/refunds")
        assert page.status_code == 200
        assert page.get_data(as_text=True).count('data-transfer="FAILED"') == 3 * (round_number + 1)
        counts.append(len(statements))
    assert counts[0] == counts[1]
