import base64
import http.cookiejar
import urllib.parse
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.learning.services import start_paid_enrollment
from mwanzo.payments.models import Payment, PaymentStatus
from tests.concurrency import run_together
from tests.factories import PASSWORD
from tests.payments.conftest import CALLBACK_TOKEN


def payment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Payment))


@pytest.mark.parametrize("typed, stored", [
    ("0712345678", "254712345678"),
    ("0112345678", "254112345678"),
    ("712345678", "254712345678"),
    ("254712345678", "254712345678"),
    ("+254 712 345 678", "254712345678"),
    ("+254-712-345-678", "254712345678"),
    ("0712 345 678", "254712345678"),
    ("0110-123-456", "254110123456"),
    ("+2547３０７９８１８５", "254730798185"),
    ("０７１２\u3000３４５\u3000６７８", "254712345678"),
])
def test_accepted_phone_formats_are_stored_in_one_canonical_form(checkout, typed, stored):
    assert checkout(phone=typed).phone_number == stored


def test_full_width_digits_are_pushed_to_m_pesa_as_ascii(checkout, payhero):
    checkout(phone="+2547３０７９８１８５")
    [push] = payhero.pushes()
    assert push["body"]["phone_number"] == "0730798185"


@pytest.mark.parametrize("typed", ["", "0812345678", "071234567", "07123456789", "+255712345678", "phone", "2540712345678",
                                   "٠٧١٢٣٤٥٦٧٨", "07१२३४५६७८"])
def test_other_phone_numbers_are_refused_with_a_clear_message(client, login, make, paid_course, typed):
    login(make.user())
    response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": typed})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Enter a Kenyan mobile number" in body or "This field is required" in body
    assert payment_count() == 0 and db.session.scalar(select(Enrollment)) is None


def test_amount_comes_from_the_course_price_and_a_tampered_form_amount_is_ignored(checkout, payhero):
    payment = checkout(amount="1", price="1")
    assert payment.amount == Decimal("1500")
    assert payhero.pushes()[0]["body"]["amount"] == 1500


def test_a_price_with_cents_is_charged_in_whole_shillings_rounded_up(checkout, paid_course, payhero):
    paid_course.price = Decimal("99.50")
    db.session.commit()
    assert checkout().amount == Decimal("100")
    assert payhero.pushes()[0]["body"]["amount"] == 100


def test_stk_push_request_is_exactly_as_documented_and_identifiers_are_stored(checkout, payhero):
    payment = checkout(phone="+254 712 345 678")
    [push] = payhero.pushes()
    assert push["method"] == "POST"
    assert push["headers"]["Authorization"] == "Basic " + base64.b64encode(b"api-user:api-pass").decode()
    assert push["headers"]["Content-Type"] == "application/json"
    assert push["body"] == {
        "amount": 1500,
        "phone_number": "0712345678",
        "channel_id": 911,
        "provider": "m-pesa",
        "external_reference": payment.external_reference,
        "customer_name": "Njeri Wambui",
        "callback_url": f"http://localhost/api/v1/payments/callback/{CALLBACK_TOKEN}",
    }
    reference = next(iter(payhero.transactions))
    assert payment.status == PaymentStatus.PENDING
    assert payment.provider_reference == reference
    assert payment.checkout_request_id == payhero.transactions[reference]["checkout_request_id"]
    enrollment = db.session.get(Enrollment, payment.enrollment_id)
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT


def test_push_timeout_leaves_the_outcome_unknown_and_never_pushes_again(checkout, payhero, client, app, settings):
    payhero.push_mode = "timeout"
    settings(PAYHERO_TIMEOUT_SECONDS=0.3)
    payment = checkout()
    assert payment.status == PaymentStatus.PUSH_UNKNOWN and payment.result_code == "TIMEOUT"
    page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert "the prompt may still reach your phone" in page and "You can start a new payment after" in page
    assert "Try again" not in page and "hx-trigger" in page  # keeps listening for the outcome
    from mwanzo.payments import tasks

    tasks.reconcile_payments()
    assert len(payhero.pushes()) == 1


@pytest.mark.parametrize("mode, shown", [
    ("reject", "Insufficient service wallet balance"),
    ("http_error", "Internal error"),
])
def test_a_refused_push_is_shown_plainly(checkout, payhero, client, mode, shown):
    payhero.push_mode = mode
    payment = checkout()
    assert payment.status == PaymentStatus.PUSH_FAILED
    assert f"We could not send the payment request to M-Pesa: {shown}" in client.get(f"/payments/{payment.id}").get_data(as_text=True)


def test_wrong_credentials_are_a_push_failure_not_a_crash(checkout, payhero, app, settings):
    settings(PAYHERO_API_PASSWORD="wrong")
    assert checkout().status == PaymentStatus.PUSH_FAILED
    assert payhero.transactions == {}


def test_one_payment_in_flight_per_learner_and_course(checkout, client, paid_course, payhero):
    first = checkout()
    again = client.get(f"/courses/{paid_course.slug}/checkout")
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and f"/payments/{first.id}" in page and 'name="phone"' not in page
    assert "may still go through" in page and "You can try again after" in page
    repost = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0711111111"})
    assert repost.location.endswith(f"/payments/{first.id}")
    assert payment_count() == 1 and len(payhero.pushes()) == 1


def test_a_payment_m_pesa_still_has_no_outcome_for_after_15_minutes_expires_and_unblocks(checkout, client, paid_course,
                                                                                          payhero):
    first = checkout()
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    page = client.get(f"/courses/{paid_course.slug}/checkout")
    assert page.status_code == 200 and 'name="phone"' in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Payment, first.id).status == PaymentStatus.EXPIRED
    client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": first.phone_number})
    assert payment_count() == 2 and len(payhero.pushes()) == 2


def test_a_lost_callback_is_never_paid_twice_even_when_reconciliation_did_not_run(checkout, client, paid_course,
                                                                                   payhero):
    first = checkout()
    payhero.answer(first.provider_reference, send=False)  # paid; the callback is lost, no job ran since
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(minutes=16)))
    db.session.commit()
    response = client.get(f"/courses/{paid_course.slug}/checkout")
    assert response.status_code == 302 and response.location.endswith(f"/learn/{paid_course.slug}")
    db.session.expire_all()
    assert db.session.get(Payment, first.id).status == PaymentStatus.SUCCESS
    assert payment_count() == 1 and len(payhero.pushes()) == 1


def test_a_timed_out_push_blocks_a_second_charge_until_m_pesa_reports_it_failed(checkout, client, paid_course,
                                                                                payhero, app, settings):
    payhero.push_mode, payhero.hang_seconds = "timeout", 0.6
    settings(PAYHERO_TIMEOUT_SECONDS=0.2)
    first = checkout()
    reference = payhero.latest_reference()  # PayHero created it after we gave up: the prompt is on the phone
    payhero.push_mode = "ok"
    blocked = client.get(f"/courses/{paid_course.slug}/checkout").get_data(as_text=True)
    assert "may still go through" in blocked and 'name="phone"' not in blocked
    repost = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678"})
    assert repost.location.endswith(f"/payments/{first.id}") and len(payhero.pushes()) == 1
    failure = payhero.settle(reference, 1032, "Request cancelled by user.")
    assert client.post(f"/api/v1/payments/callback/{CALLBACK_TOKEN}", json=failure).status_code == 200
    db.session.expire_all()
    assert db.session.get(Payment, first.id).status == PaymentStatus.CANCELLED
    assert 'name="phone"' in client.get(f"/courses/{paid_course.slug}/checkout").get_data(as_text=True)
    client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678"})
    assert payment_count() == 2 and len(payhero.pushes()) == 2


def test_try_again_after_a_failure_starts_a_fresh_payment(checkout, client, paid_course, payhero):
    first = checkout()
    payhero.answer(first.provider_reference, 1032, "Request cancelled by user.", send=False)
    client.post(f"/api/v1/payments/callback/{CALLBACK_TOKEN}", json=payhero.settle(first.provider_reference, 1032))
    page = client.get(f"/payments/{first.id}").get_data(as_text=True)
    assert "Try again" in page
    retry = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": first.phone_number})
    assert retry.status_code == 303 and not retry.location.endswith(str(first.id))
    assert payment_count() == 2 and len(payhero.pushes()) == 2


def test_checkout_needs_a_verified_signed_in_learner(client, login, make, paid_course):
    assert "/login" in client.get(f"/courses/{paid_course.slug}/checkout").location
    login(make.user(is_email_verified=False))
    response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678"})
    assert response.location.endswith("/verify-email") and payment_count() == 0


def test_free_and_owned_courses_do_not_go_to_checkout(client, login, make, checkout, payhero, paid_course):
    free = make.course()
    login(make.user())
    assert client.get(f"/courses/{free.slug}/checkout").location.endswith(f"/courses/{free.slug}")
    payment = checkout()
    client.post(f"/api/v1/payments/callback/{CALLBACK_TOKEN}", json=payhero.settle(payment.provider_reference))
    response = client.get(f"/courses/{paid_course.slug}/checkout")
    assert response.location.endswith(f"/learn/{paid_course.slug}")


def test_checkout_form_shows_the_price_and_needs_its_csrf_token(client, login, make, paid_course, csrf_enabled):
    login(make.user(phone="254712345678"))
    page = client.get(f"/courses/{paid_course.slug}/checkout").get_data(as_text=True)
    assert "KES 1,500" in page and 'value="0712 345 678"' in page and 'name="csrf_token"' in page
    assert client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678"}).status_code == 400
    assert payment_count() == 0


def test_checkouts_per_learner_are_rate_limited_so_phones_are_not_spammed(client, login, make, app, settings):
    courses = [make.course(price=Decimal("100")) for _ in range(3)]
    login(make.user())
    settings(CHECKOUT_RATE_LIMIT="2 per minute")
    codes = [client.post(f"/courses/{c.slug}/checkout", data={"phone": "0712345678"}).status_code for c in courses]
    assert codes == [303, 303, 429] and payment_count() == 2


@pytest.mark.postgres
def test_a_double_submitted_checkout_on_postgresql_sends_one_prompt(postgres, live_payhero, live_server, make, paid_course):
    learner = make.user(email="double@example.com")
    start_paid_enrollment(learner, paid_course)  # as after an earlier failed payment: the enrolment exists
    db.session.commit()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login_form = urllib.parse.urlencode({"email": "double@example.com", "password": PASSWORD}).encode()
    opener.open(f"{live_server}/login", data=login_form)
    statuses, url = [], f"{live_server}/courses/{paid_course.slug}/checkout"

    def submit(barrier):
        barrier.wait()
        response = opener.open(url,
                               data=urllib.parse.urlencode({"phone": "0712345678"}).encode())
        statuses.append((response.status, response.url))

    assert run_together(None, submit, 4) == []
    assert payment_count() == 1 and len(live_payhero.pushes()) == 1
    payment = db.session.scalar(select(Payment))
    assert all(code == 200 and url.endswith(f"/payments/{payment.id}") for code, url in statuses)
