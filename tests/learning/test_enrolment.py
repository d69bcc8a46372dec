"""Enrolment through the course page's button: free, paid, twice, and racing."""
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from tests.concurrency import run_together
from tests.emails import emails_to


def enrolment_rows():
    return db.session.scalar(select(func.count()).select_from(Enrollment))


def test_course_page_offers_enrolment_then_continue(client, login, make):
    course = make.course()
    make.lesson(make.section(course))
    login(make.user())
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Enrol for free" in page and f'action="/courses/{course.slug}/enroll"' in page
    client.post(f"/courses/{course.slug}/enroll")
    assert "Continue learning" in client.get(f"/courses/{course.slug}").get_data(as_text=True)


def test_enrolling_twice_is_a_no_op(client, login, make):
    login(make.user(email="twice@example.com"))
    course = make.course()
    for _ in range(2):
        assert client.post(f"/courses/{course.slug}/enroll").status_code == 302
    db.session.refresh(course)
    assert enrolment_rows() == 1 and course.enrollment_count == 1
    assert len(emails_to("twice@example.com", "enrollment_confirmation")) == 1


def test_enrolment_form_needs_the_csrf_token(client, login, make, csrf_enabled):
    login(make.user())
    course = make.course()
    assert client.post(f"/courses/{course.slug}/enroll").status_code == 400
    assert enrolment_rows() == 0


def test_anonymous_visitor_is_sent_to_log_in(client, make):
    course = make.course()
    response = client.post(f"/courses/{course.slug}/enroll")
    assert response.status_code == 302 and "/login" in response.location and enrolment_rows() == 0


def test_paid_course_creates_a_pending_enrolment_and_hands_over_to_checkout(client, login, make):
    learner = login(make.user())
    course = make.course(price=Decimal("750"))
    lesson = make.lesson(make.section(course))
    response = client.post(f"/courses/{course.slug}/enroll")
    assert response.status_code == 302 and urlsplit(response.location).path == f"/courses/{course.slug}/checkout"
    enrollment = db.session.scalar(select(Enrollment))
    assert enrollment.student_id == learner.id and enrollment.status == EnrollmentStatus.PENDING_PAYMENT
    db.session.refresh(course)
    assert course.enrollment_count == 0
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}").status_code == 302


@pytest.mark.postgres
def test_concurrent_enrolments_make_one_row_and_one_count(app, make, postgres):
    student, course = make.user(email="race@example.com"), make.course()
    url = f"/courses/{course.slug}/enroll"
    clients = [app.test_client() for _ in range(6)]
    for each in clients:
        with each.session_transaction() as session:
            session["_user_id"] = student.get_id()
    statuses = []

    def enrol(barrier, each):
        barrier.wait()
        statuses.append(each.post(url).status_code)

    assert run_together(None, enrol, each=clients) == []
    assert statuses == [302] * len(clients)
    db.session.refresh(course)
    assert enrolment_rows() == 1 and course.enrollment_count == 1
    assert len(emails_to("race@example.com", "enrollment_confirmation")) == 1


def test_paid_enrolment_waits_for_payment_before_opening_lessons(client, login, make):
    """The service behind the hand-off: PENDING_PAYMENT, not counted, no access until activated."""
    from mwanzo.learning import services

    learner = login(make.user(email="payer@example.com"))
    course = make.course(price=Decimal("750"))
    lesson = make.lesson(make.section(course))
    enrollment = services.start_paid_enrollment(learner, course)
    assert services.start_paid_enrollment(learner, course).id == enrollment.id
    db.session.commit()
    assert enrollment.status == EnrollmentStatus.PENDING_PAYMENT and enrolment_rows() == 1
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}").status_code == 302
    assert "not been confirmed yet" in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert services.activate_enrollment(enrollment.id) and not services.activate_enrollment(enrollment.id)
    db.session.commit()
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}").status_code == 200
    db.session.refresh(course)
    assert course.enrollment_count == 1 and len(emails_to("payer@example.com", "enrollment_confirmation")) == 1
