"""The webhook: token, body checks, matching, verification by status query, exactly-once settling."""

import pytest
from sqlalchemy import func, select

from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from tests.concurrency import run_together
from tests.emails import emails_to
from tests.payments.conftest import callback_path


def events() -> list[PaymentEvent]:
    return list(db.session.scalars(select(PaymentEvent).where(PaymentEvent.kind.like("callback%"))))


def refreshed(payment: Payment) -> Payment:
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def enrollment_of(payment: Payment) -> Enrollment:
    return db.session.get(Enrollment, payment.enrollment_id)


def assert_paid_once(payment: Payment, course: Course) -> None:
    payment = refreshed(payment)
    assert payment.status == PaymentStatus.SUCCESS and payment.mpesa_receipt
    assert enrollment_of(payment).status == EnrollmentStatus.ACTIVE
    assert db.session.get(Course, course.id).enrollment_count == 1
    assert len(emails_to("njeri@example.com", "payment_receipt")) == 1
    assert len(emails_to("njeri@example.com", "enrollment_confirmation")) == 1


def test_wrong_token_is_404_with_no_side_effect(client, checkout, payhero):
    payment = checkout()
    response = client.post(callback_path("not-the-token"), json=payhero.settle(payment.provider_reference))
    assert response.status_code == 404
    assert events() == [] and refreshed(payment).status == PaymentStatus.PENDING
    assert payhero.status_queries() == []


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_malformed_json_is_400(client, payhero, body):
    response = client.post(callback_path(), data=body, content_type="application/json")
    assert response.status_code == 400 and events() == []


def test_json_of_no_known_shape_is_kept_for_inspection_and_refused(client, payhero):
    response = client.post(callback_path(), json={"hello": "world"})
    assert response.status_code == 400
    [event] = events()
    assert event.payload == {"hello": "world"} and event.payment_id is None


def test_form_posts_and_oversized_bodies_are_refused(client, payhero):
    assert client.post(callback_path(), data={"a": "b"}).status_code == 415
    big = b'{"pad": "' + b"x" * 20_000 + b'"}'
    assert client.post(callback_path(), data=big, content_type="application/json").status_code == 413
    assert events() == []


def test_unknown_reference_is_stored_answered_200_and_changes_nothing(client, checkout, payhero):
    payment = checkout()
    body = payhero.settle(payment.provider_reference)
    body["response"]["ExternalReference"] = "MWZ-UNKNOWN"
    body["response"]["CheckoutRequestID"] = "ws_CO_unknown"
    response = client.post(callback_path(), json=body)
    assert response.status_code == 200 and response.json == {"ResultCode": 0, "ResultDesc": "Accepted"}
    [event] = events()
    assert event.payment_id is None and event.payload == body
    assert refreshed(payment).status == PaymentStatus.PENDING and payhero.status_queries() == []


def test_success_is_confirmed_by_status_query_then_granted_once(client, checkout, payhero, paid_course):
    payment = checkout()
    body = payhero.settle(payment.provider_reference)
    assert client.post(callback_path(), json=body).status_code == 200
    [query] = payhero.status_queries()
    assert query["query"] == {"reference": [payment.provider_reference]}
    assert refreshed(payment).mpesa_receipt == body["response"]["MpesaReceiptNumber"]
    assert_paid_once(payment, paid_course)
    [receipt] = emails_to("njeri@example.com", "payment_receipt")
    assert body["response"]["MpesaReceiptNumber"] in receipt.body_text and "KES 1,500" in receipt.body_text


def test_a_success_callback_the_status_query_does_not_confirm_grants_nothing(client, checkout, payhero):
    payment = checkout()
    body = payhero.settle(payment.provider_reference)
    payhero.transactions[payment.provider_reference]["status"] = "QUEUED"  # forged or early callback
    assert client.post(callback_path(), json=body).status_code == 200
    assert refreshed(payment).status == PaymentStatus.PENDING
    assert enrollment_of(payment).status == EnrollmentStatus.PENDING_PAYMENT
    assert emails_to("njeri@example.com", "payment_receipt") == []


def test_amount_mismatch_is_not_granted(client, checkout, payhero):
    payment = checkout()
    client.post(callback_path(), json=payhero.settle(payment.provider_reference, callback_amount=1))
    payment = refreshed(payment)
    assert payment.status == PaymentStatus.FAILED and payment.result_code == "AMOUNT_MISMATCH"
    assert enrollment_of(payment).status == EnrollmentStatus.PENDING_PAYMENT
    assert emails_to("njeri@example.com") == []
    assert "does not match the course price" in client.get(f"/payments/{payment.id}").get_data(as_text=True)


def test_duplicate_callbacks_and_a_late_failure_leave_one_enrolment_and_one_email(client, checkout, payhero, paid_course):
    payment = checkout()
    body = payhero.settle(payment.provider_reference)
    for _ in range(3):
        assert client.post(callback_path(), json=body).status_code == 200
    failure = payhero.settle(payment.provider_reference, 1032, "Request cancelled by user.")
    payhero.transactions[payment.provider_reference]["status"] = "SUCCESS"
    assert client.post(callback_path(), json=failure).status_code == 200
    assert_paid_once(payment, paid_course)
    assert len(events()) == 4
    assert refreshed(payment).raw_callback == body


def test_the_new_flat_callback_shape_is_understood(client, checkout, payhero, paid_course):
    payment = checkout()
    legacy = payhero.settle(payment.provider_reference)
    flat = {"success": True, "status": "success", "message": "ok", "reference": payment.provider_reference,
            "external_reference": payment.external_reference, "amount": 1500, "currency": "KES",
            "provider_reference": legacy["response"]["MpesaReceiptNumber"], "transaction_type": "inbound_payment"}
    assert client.post(callback_path(), json=flat).status_code == 200
    assert_paid_once(payment, paid_course)


def test_a_daraja_shaped_failure_matches_by_checkout_request_id(client, checkout, payhero):
    payment = checkout()
    body = {"Body": {"stkCallback": {"MerchantRequestID": "1", "CheckoutRequestID": payment.checkout_request_id,
                                      "ResultCode": 1, "ResultDesc": "The balance is insufficient."}}}
    assert client.post(callback_path(), json=body).status_code == 200
    payment = refreshed(payment)
    assert payment.status == PaymentStatus.FAILED and payment.result_code == "1"


def test_one_receipt_number_cannot_pay_for_two_payments(client, checkout, payhero, make, login):
    first = checkout()
    body = payhero.settle(first.provider_reference)
    client.post(callback_path(), json=body)
    other_learner = make.user(email="other@example.com")
    second = checkout(learner=other_learner)
    payhero.settle(second.provider_reference)
    replay = dict(body, response=dict(body["response"], ExternalReference=second.external_reference,
                                      CheckoutRequestID=second.checkout_request_id))
    payhero.transactions[second.provider_reference]["receipt"] = body["response"]["MpesaReceiptNumber"]
    client.post(callback_path(), json=replay)
    assert refreshed(second).status == PaymentStatus.PENDING
    assert enrollment_of(second).status == EnrollmentStatus.PENDING_PAYMENT


def test_callbacks_over_http_from_payhero_settle_the_payment(live_payhero, checkout, paid_course):
    payment = checkout()
    assert live_payhero.answer(payment.provider_reference, times=2) == [200, 200]
    assert_paid_once(payment, paid_course)


@pytest.mark.postgres
def test_concurrent_callbacks_on_postgresql_grant_once(postgres, live_payhero, checkout, paid_course):
    payment = checkout()
    statuses = live_payhero.answer(payment.provider_reference, times=6, concurrent=True)
    assert statuses == [200] * 6
    assert_paid_once(payment, paid_course)
    settled = db.session.scalar(select(func.count()).select_from(PaymentEvent)
                                .where(PaymentEvent.kind == "settled", PaymentEvent.payment_id == payment.id))
    assert settled == 1


@pytest.mark.postgres
def test_concurrent_success_and_failure_callbacks_on_postgresql_grant_once(postgres, live_payhero, checkout, paid_course):
    payment = checkout()
    success = live_payhero.settle(payment.provider_reference)
    failure = live_payhero.settle(payment.provider_reference, 1032, "Request cancelled by user.")
    live_payhero.transactions[payment.provider_reference]["status"] = "SUCCESS"
    url = live_payhero.transactions[payment.provider_reference]["body"]["callback_url"]
    results = []

    def send(barrier, body):
        barrier.wait()
        results.extend(live_payhero.post_callback(url, body))

    assert run_together(None, send, each=(success, success, failure, failure)) == []
    assert results == [200] * 4
    # M-Pesa's status query says paid: whichever callback lands first, the learner gets the
    # course exactly once.
    assert_paid_once(payment, paid_course)
