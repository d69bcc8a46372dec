"""Receipts for learners; the admin's payments list, totals, timeline and refunds."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments.models import Payment, PaymentStatus
from tests.confirmations import confirmation_token
from tests.payments.conftest import callback_path
from tests.queries import count_queries


NAIROBI = ZoneInfo("Africa/Nairobi")


@pytest.fixture
def paid(client, checkout, payhero):
    """paid(**checkout_kwargs): a payment settled by a verified success callback."""

    def _paid(**kwargs):
        payment = checkout(**kwargs)
        assert client.post(callback_path(), json=payhero.settle(payment.provider_reference)).status_code == 200
        db.session.expire_all()
        return db.session.get(Payment, payment.id)

    return _paid


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN, email="admin@example.com", name="Amina Admin")


def test_refund_revokes_access_and_records_who_and_why(client, login, paid, admin, paid_course, make):
    lesson = make.lesson(make.section(paid_course))
    payment = paid()
    learner_id = payment.student_id
    assert client.get(f"/learn/{paid_course.slug}/lessons/{lesson.id}").status_code == 200
    login(admin)
    unconfirmed = client.post(f"/admin/payments/{payment.id}/refund", data={"reason": "Charged twice by mistake"})
    assert unconfirmed.status_code == 400 and "needs confirming" in unconfirmed.get_data(as_text=True)
    confirm = confirmation_token(client, f"/admin/payments/{payment.id}")
    response = client.post(f"/admin/payments/{payment.id}/refund",
                           data={"reason": "Charged twice by mistake", "confirm_token": confirm})
    assert response.status_code == 303
    db.session.expire_all()
    payment = db.session.get(Payment, payment.id)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_by_id == admin.id
    assert payment.refund_reason == "Charged twice by mistake"
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.REVOKED
    assert db.session.get(Course, paid_course.id).enrollment_count == 0
    [audit] = db.session.scalars(select(AuditLog)).all()
    assert (audit.actor_id, audit.action, audit.target_id) == (admin.id, "payment.refund", str(payment.id))
    assert audit.details["reason"] == "Charged twice by mistake"
    timeline = client.get(f"/admin/payments/{payment.id}").get_data(as_text=True)
    for step in ("created", "push", "callback", "status_query", "settled", "refunded", "Charged twice by mistake"):
        assert step in timeline

    learner = db.session.get(type(admin), learner_id)
    login(learner)
    assert not learning.has_access(learner, paid_course)
    assert client.get(f"/learn/{paid_course.slug}/lessons/{lesson.id}").status_code == 302
    assert "was refunded" in client.get(f"/payments/{payment.id}").get_data(as_text=True)


def test_refund_needs_a_reason_an_admin_and_a_successful_payment(client, login, paid, checkout, admin, make, request):
    payment = paid()
    pending = checkout(learner=make.user(email="student3@example.com"))
    request.getfixturevalue("csrf_enabled")
    login(admin)
    assert client.post(f"/admin/payments/{payment.id}/refund", data={"reason": ""}).status_code == 400  # no CSRF token
    page = client.get(f"/admin/payments/{payment.id}").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    confirm = page.split('name="confirm_token" value="')[1].split('"')[0]
    assert client.post(f"/admin/payments/{payment.id}/refund", data={"reason": "", "csrf_token": token}).status_code == 422
    login(make.user(email="student2@example.com"))
    assert client.post(f"/admin/payments/{payment.id}/refund", data={"reason": "x", "csrf_token": token}).status_code == 403
    assert client.get("/admin/payments").status_code == 403
    login(admin)
    assert client.post(f"/admin/payments/{pending.id}/refund", data={"reason": "x", "csrf_token": token}).status_code == 400
    refund = {"reason": "Charged twice", "csrf_token": token, "confirm_token": confirm}
    assert client.post(f"/admin/payments/{payment.id}/refund", data=refund).status_code == 303
    assert client.post(f"/admin/payments/{payment.id}/refund", data=refund).status_code == 409  # already refunded
    db.session.expire_all()
    assert db.session.get(Payment, pending.id).status == PaymentStatus.PENDING
    assert len(db.session.scalars(select(AuditLog)).all()) == 1


def test_admin_list_filters_and_totals_per_day(client, login, paid, checkout, admin, make):
    other_course = make.course(price=Decimal("800"), title="Poultry Business")
    paid(phone="0711000001")
    paid(learner=make.user(email="b@example.com"), phone="0722000002")
    waiting = checkout(learner=make.user(email="c@example.com"), phone="0733000003")
    login(make.user(email="d@example.com"))
    client.post(f"/courses/{other_course.slug}/checkout", data={"phone": "0744000004"})
    login(admin)

    def rows(**args):
        response = client.get("/admin/payments", query_string=args)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    everything = rows()
    assert all(p in everything for p in ("0711 000 001", "0722 000 002", "0733 000 003", "0744 000 004"))
    # The admin's days are Kenyan days: from 21:00 UTC the payments just made belong to tomorrow's UTC date.
    today = utcnow().astimezone(NAIROBI).date().isoformat()
    assert f"<td>{today}</td><td>4</td><td>2</td><td>KES 3,000</td>" in everything
    success = rows(status="SUCCESS")
    assert "0711 000 001" in success and "0733 000 003" not in success
    assert "0744 000 004" in rows(course="poultry") and "0711 000 001" not in rows(course="poultry")
    assert "0733 000 003" in rows(phone="0733 000 003") and "0722 000 002" not in rows(phone="0733000003")
    assert "0733 000 003" in rows(phone="733000")
    tomorrow = (utcnow().astimezone(NAIROBI) + timedelta(days=1)).date().isoformat()
    assert "No payments match." in rows(date_from=tomorrow)
    assert "0711 000 001" in rows(date_from=today, date_to=today)
    assert client.get("/admin/payments", query_string={"date_from": "yesterday"}).status_code == 422
    assert waiting.external_reference in client.get(f"/admin/payments/{waiting.id}").get_data(as_text=True)


def test_a_late_evening_payment_is_counted_and_found_on_its_kenyan_day(client, login, admin, make, paid_course):
    """22:30 UTC on 9 March is 01:30 on 10 March in Nairobi: the admin finds that payment under the 10th."""
    enrolment = make.enrollment(make.user(email="late@example.com"), paid_course)
    late_evening = datetime(2026, 3, 9, 22, 30, tzinfo=timezone.utc)
    make.payment(enrolment, "1500", PaymentStatus.SUCCESS, created_at=late_evening, settled_at=late_evening)
    login(admin)

    def page(**args):
        return client.get("/admin/payments", query_string=args).get_data(as_text=True)

    assert "<td>2026-03-10</td><td>1</td><td>1</td><td>KES 1,500</td>" in page()
    assert "No payments match." in page(date_from="2026-03-09", date_to="2026-03-09")
    assert "No payments match." not in page(date_from="2026-03-10", date_to="2026-03-10")


def test_admin_list_and_learner_history_use_a_fixed_number_of_queries(client, login, checkout, admin, make):
    learner = make.user(email="many@example.com")
    courses = [make.course(price=Decimal("100")) for _ in range(4)]

    def measure(path, user):
        login(user)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    login(learner)
    client.post(f"/courses/{courses[0].slug}/checkout", data={"phone": "0712345678"})
    one = measure("/admin/payments", admin), measure("/payments", learner)
    for course in courses[1:]:
        login(learner)
        client.post(f"/courses/{course.slug}/checkout", data={"phone": "0712345678"})
    many = measure("/admin/payments", admin), measure("/payments", learner)
    assert one == many


def test_learner_history_and_printable_receipt(client, login, paid, checkout, make, paid_course):
    payment = paid()
    page = client.get("/payments").get_data(as_text=True)
    assert paid_course.title in page and payment.mpesa_receipt in page
    receipt = client.get(f"/payments/{payment.id}/receipt")
    html = receipt.get_data(as_text=True)
    assert receipt.status_code == 200 and payment.mpesa_receipt in html and "KES 1,500" in html
    assert "Njeri Wambui" in html and "data-print" in html
    other = checkout(learner=make.user(email="x@example.com"))
    assert client.get(f"/payments/{other.id}/receipt").status_code == 404  # pending: no receipt yet


def test_admin_list_pages_through_more_than_fifty_payments(client, login, admin, make, paid_course):
    enrolment = make.enrollment(make.user(email="busy@example.com"), paid_course)
    for _ in range(51):
        make.payment(enrolment, "1500", PaymentStatus.FAILED)
    login(admin)
    first = client.get("/admin/payments")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "(51)" in html and "page=2" in html and "Older" in html and html.count("<td>0712 345 678</td>") == 50
    second = client.get("/admin/payments?page=2")
    assert second.status_code == 200
    html = second.get_data(as_text=True)
    assert 'href="/admin/payments" rel="prev"' in html and "Newer" in html
    assert html.count("<td>0712 345 678</td>") == 1
    swapped = client.get("/admin/payments?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<h1>" not in swapped and 'hx-get="/admin/payments" hx-target="#payment-results"' in swapped
