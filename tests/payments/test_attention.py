"""Money M-Pesa may have taken without the learner getting the course: the operators' page
(/admin/payments/attention) lists every such case, and one audited, confirmed action settles it."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments.models import Payment, PaymentStatus
from tests.confirmations import confirmation_token, post_confirmed
from tests.emails import emails_to
from tests.payments.conftest import callback_path

ATTENTION = "/admin/payments/attention"


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN, email="admin@example.com", name="Amina Admin")


@pytest.fixture
def timed_out_then_paid(live_payhero, checkout, app, settings):
    """A push PayHero answers only after we gave up; the learner then enters the PIN and PayHero's
    success callback arrives over HTTP."""
    live_payhero.push_mode, live_payhero.hang_seconds = "timeout", 0.6
    settings(PAYHERO_TIMEOUT_SECONDS=0.2)
    payment = checkout()
    assert payment.status == PaymentStatus.PUSH_UNKNOWN
    reference = live_payhero.latest_reference()
    live_payhero.push_mode = "ok"
    assert live_payhero.answer(reference) == [200]
    return payment, live_payhero.transactions[reference]["receipt"]


def reloaded(payment: Payment) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def settle(client, payment: Payment, **form):
    return post_confirmed(client, f"/admin/payments/{payment.id}/settle", **form)


def audits() -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).order_by(AuditLog.created_at)))


def test_a_timed_out_push_that_was_paid_is_listed_and_the_operator_grants_the_course(
        timed_out_then_paid, client, login, admin, paid_course):
    payment, receipt = timed_out_then_paid
    assert reloaded(payment).status == PaymentStatus.PUSH_UNKNOWN  # PayHero's reference never reached us
    # However long the confirmation takes, the learner is never asked to pay a second time.
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    blocked = client.get(f"/courses/{paid_course.slug}/checkout").get_data(as_text=True)
    assert "please do not pay again" in blocked and 'name="phone"' not in blocked
    status_page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "please do not pay again" in status_page and "Try again" not in status_page
    client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678"})
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1
    login(admin)
    listing = client.get(ATTENTION).get_data(as_text=True)
    assert f'data-payment="{payment.id}"' in listing and receipt in listing
    assert "M-Pesa reported a payment we could not confirm." in listing
    confirm = client.get(f"/admin/payments/{payment.id}/settle").get_data(as_text=True)
    assert 'method="post"' in confirm and "Confirm and settle" in confirm
    response = settle(client, payment, action="grant", receipt=receipt.lower(), note="Seen on the M-Pesa statement")
    assert response.status_code == 303
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.SUCCESS and payment.mpesa_receipt == receipt
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert len(emails_to("njeri@example.com", "payment_receipt")) == 1
    [audit] = audits()
    assert (audit.actor_id, audit.action, audit.target_id) == (admin.id, "payment.attention.grant", str(payment.id))
    assert audit.details["receipt"] == receipt and audit.details["reason"] == "UNVERIFIED_SUCCESS"
    assert f'data-payment="{payment.id}"' not in client.get(ATTENTION).get_data(as_text=True)
    # Submitted again (a double click, a resent form): nothing changes, nothing is audited twice.
    token = confirm.split('name="confirm_token" value="')[1].split('"')[0]
    again = client.post(f"/admin/payments/{payment.id}/settle",
                        data={"action": "grant", "receipt": receipt, "note": "again", "confirm_token": token})
    assert again.status_code == 303 and len(audits()) == 1
    assert "already settled" in client.get(ATTENTION).get_data(as_text=True)


def test_an_unanswered_timed_out_push_stays_listed_after_it_expires(checkout, payhero, app, client, login, admin, settings):
    payhero.push_mode = "timeout"
    settings(PAYHERO_TIMEOUT_SECONDS=0.2)
    payment = checkout()
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16), next_check_at=utcnow()))
    db.session.commit()
    from mwanzo.payments import tasks

    tasks.reconcile_payments()
    assert reloaded(payment).status == PaymentStatus.EXPIRED
    login(admin)
    listing = client.get(ATTENTION).get_data(as_text=True)
    assert f'data-payment="{payment.id}"' in listing and "has not told us the outcome" in listing
    assert settle(client, payment, action="no_charge", note="Nothing on the statement").status_code == 303
    assert f'data-payment="{payment.id}"' not in client.get(ATTENTION).get_data(as_text=True)
    [audit] = audits()
    assert audit.action == "payment.attention.no_charge" and audit.details["note"] == "Nothing on the statement"


def test_an_amount_mismatch_is_listed_and_can_be_granted_after_review(client, checkout, payhero, login, admin):
    payment = checkout()
    client.post(callback_path(), json=payhero.settle(payment.provider_reference, callback_amount=1))
    assert reloaded(payment).result_code == "AMOUNT_MISMATCH"
    login(admin)
    assert "a different amount from the course price" in client.get(ATTENTION).get_data(as_text=True)
    receipt = payhero.transactions[payment.provider_reference]["receipt"]
    assert settle(client, payment, action="grant", receipt=receipt, note="Paid in full, per statement").status_code == 303
    assert db.session.get(Enrollment, reloaded(payment).enrollment_id).status == EnrollmentStatus.ACTIVE


def test_a_second_success_for_a_paid_enrolment_is_flagged_and_refunded_without_removing_access(
        client, checkout, payhero, login, admin, paid_course):
    first = checkout()
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    client.get(f"/courses/{paid_course.slug}/checkout")  # no outcome yet: the first payment expires
    assert reloaded(first).status == PaymentStatus.EXPIRED
    second = checkout(learner=db.session.get(type(admin), first.student_id))
    client.post(callback_path(), json=payhero.settle(second.provider_reference))
    assert reloaded(second).status == PaymentStatus.SUCCESS
    # M-Pesa delivers the first prompt's payment after all.
    client.post(callback_path(), json=payhero.settle(first.provider_reference))
    first = reloaded(first)
    assert first.status == PaymentStatus.SUCCESS and first.attention == "DUPLICATE_SUCCESS"
    login(admin)
    listing = client.get(ATTENTION).get_data(as_text=True)
    assert f'data-payment="{first.id}"' in listing and "paid twice" in listing
    assert f'data-payment="{second.id}"' not in listing
    response = settle(client, first, action="refund", receipt=first.mpesa_receipt, note="Sent back through PayHero")
    assert response.status_code == 303
    assert reloaded(first).status == PaymentStatus.REFUNDED
    assert db.session.get(Enrollment, first.enrollment_id).status == EnrollmentStatus.ACTIVE  # still paid by the second
    [audit] = audits()
    assert audit.action == "payment.refund" and audit.details["receipt"] == first.mpesa_receipt
    assert audit.details["reason"] == "Sent back through PayHero"
    login(db.session.get(type(admin), first.student_id))
    assert "You keep the course" in client.get(f"/payments/{first.id}").get_data(as_text=True)


def test_granting_money_for_an_enrolment_already_paid_keeps_it_listed_for_a_refund(
        payhero, client, login, admin, checkout, app, settings):
    payhero.push_mode = "timeout"
    settings(PAYHERO_TIMEOUT_SECONDS=0.2)
    unknown = checkout()  # no callback ever comes: after 15 minutes a new charge is allowed
    payhero.push_mode = "ok"
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    learner = db.session.get(type(admin), unknown.student_id)
    paid_again = checkout(learner=learner)  # the unknown push expired, so a new charge was allowed
    client.post(callback_path(), json=payhero.settle(paid_again.provider_reference))
    assert reloaded(paid_again).status == PaymentStatus.SUCCESS
    receipt = "SKQ96C7K7H"  # the operator finds the first charge on the M-Pesa statement too
    login(admin)
    assert settle(client, unknown, action="grant", receipt=receipt, note="On the statement").status_code == 303
    unknown = reloaded(unknown)
    assert unknown.status == PaymentStatus.SUCCESS and unknown.attention == "DUPLICATE_SUCCESS"
    listing = client.get(ATTENTION).get_data(as_text=True)
    assert f'data-payment="{unknown.id}"' in listing and "paid twice" in listing
    assert settle(client, unknown, action="refund", receipt=receipt, note="Returned").status_code == 303
    assert f'data-payment="{unknown.id}"' not in client.get(ATTENTION).get_data(as_text=True)
    assert db.session.get(Enrollment, unknown.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert [a.action for a in audits()] == ["payment.attention.grant", "payment.refund"]


def test_settling_needs_an_admin_a_csrf_token_a_receipt_and_a_note(client, checkout, payhero, login, admin, make,
                                                                  request):
    payment = checkout()
    client.post(callback_path(), json=payhero.settle(payment.provider_reference, callback_amount=1))
    login(make.user(email="student2@example.com"))
    assert client.get(ATTENTION).status_code == 403
    assert client.post(f"/admin/payments/{payment.id}/settle",
                       data={"action": "grant", "receipt": "SKQ96C7K7H", "note": "x"}).status_code == 403
    login(admin)
    request.getfixturevalue("csrf_enabled")
    assert settle(client, payment, action="grant", receipt="SKQ96C7K7H", note="x").status_code == 400
    page = client.get(f"/admin/payments/{payment.id}/settle").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    # The CSRF token alone (which htmx sends from any page) is not enough: the page's confirmation is needed.
    unconfirmed = client.post(f"/admin/payments/{payment.id}/settle",
                              data={"action": "grant", "receipt": "SKQ96C7K7H", "note": "x", "csrf_token": token})
    assert unconfirmed.status_code == 400 and "This change needs confirming" in unconfirmed.get_data(as_text=True)
    missing = settle(client, payment, action="grant", receipt="", note="", csrf_token=token)
    body = missing.get_data(as_text=True)
    assert missing.status_code == 422 and "Enter the M-Pesa receipt number" in body and "This field is required" in body
    assert settle(client, payment, action="no_charge", note="x", csrf_token=token).status_code == 409
    assert reloaded(payment).status == PaymentStatus.FAILED and audits() == []


def test_a_success_callback_matching_no_payment_is_listed_until_its_refund_is_recorded(
        client, checkout, payhero, login, admin):
    payment = checkout()
    body = payhero.settle(payment.provider_reference)
    body["response"].update(ExternalReference="MWZ-UNKNOWN", CheckoutRequestID="ws_CO_unknown")
    assert client.post(callback_path(), json=body).status_code == 200
    receipt = body["response"]["MpesaReceiptNumber"]
    login(admin)
    listing = client.get(ATTENTION).get_data(as_text=True)
    assert "MWZ-UNKNOWN" in listing and receipt in listing
    link = listing.split('href="/admin/payments/callbacks/')[1].split('"')[0]
    confirm = client.get(f"/admin/payments/callbacks/{link}")
    assert confirm.status_code == 200 and f'value="{receipt}"' in confirm.get_data(as_text=True)
    path = f"/admin/payments/callbacks/{link}"
    token = confirmation_token(client, path)
    # Without the page's token (what markup injected elsewhere would send) nothing is recorded.
    refused = client.post(path, data={"receipt": receipt, "note": "Sent back to 0712345678"})
    assert refused.status_code == 400 and "This change needs confirming" in refused.get_data(as_text=True)
    assert audits() == []
    assert client.post(path, data={"receipt": receipt, "note": "", "confirm_token": token}).status_code == 422
    assert client.post(path, data={"receipt": receipt, "note": "Sent back to 0712345678",
                                   "confirm_token": token}).status_code == 303
    assert client.post(path, data={"receipt": receipt, "note": "again", "confirm_token": token}).status_code == 303
    [audit] = audits()
    assert (audit.action, audit.details) == ("payment.callback.refund",
                                             {"receipt": receipt, "note": "Sent back to 0712345678"})
    assert "MWZ-UNKNOWN" not in client.get(ATTENTION).get_data(as_text=True)
