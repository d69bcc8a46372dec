"""A learner may ask for a refund within REFUND_WINDOW_DAYS (7) of paying if they watched under
REFUND_MAX_WATCHED_PERCENT (20 %) of the course; an admin approves (access ends, recorded) or declines.
The money's way back through B2C: tests/payments/test_refund_transfers.py."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.courses.models import LessonKind
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.payments.models import Payment, PaymentStatus, RefundRequest, RefundStatus
from tests.confirmations import confirmation_token, post_confirmed


@pytest.fixture
def paid(make):
    """A learner who paid KES 1,000 for a course of two ten-minute videos, one day ago."""
    learner = make.user(email="njeri@example.com")
    course = make.course(price=1000, title="Poultry keeping")
    section = make.section(course)
    lessons = [make.lesson(section, kind=LessonKind.VIDEO, duration_seconds=600) for _ in range(2)]
    make.lesson(section)  # a text lesson does not count
    enrollment = make.enrollment(learner, course)
    payment = make.payment(enrollment, 1000, PaymentStatus.SUCCESS, mpesa_receipt="SKQ96C7K7H",
                           settled_at=utcnow() - timedelta(days=1))
    return learner, course, lessons, payment


def watched(learner, lesson, seconds):
    db.session.add(VideoProgress(student_id=learner.id, lesson_id=lesson.id, watched_seconds=seconds))
    db.session.commit()


def ask(client, payment, reason="The course is not what I expected"):
    return client.post(f"/payments/{payment.id}/refund-request", data={"reason": reason})


def test_a_learner_who_watched_little_asks_and_an_admin_approves(app, client, login, make, paid):
    learner, course, lessons, payment = paid
    watched(learner, lessons[0], 200)  # 200 of 1200 seconds: 16 %
    login(learner)
    receipt = client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    assert "Ask for a refund" in receipt and "you have watched 16%" in receipt
    assert ask(client, payment).status_code == 303
    [refund] = db.session.scalars(select(RefundRequest))
    assert (refund.status, refund.watched_percent) == (RefundStatus.REQUESTED, 16)
    assert ask(client, payment).status_code == 409  # once per payment

    login(make.user(role=Role.ADMIN))
    assert "Poultry keeping" in client.get("/admin/refunds").get_data(as_text=True)
    decision = {"action": "approve", "note": "Not what the learner expected",
                "confirm_token": confirmation_token(client, f"/admin/refunds/{refund.id}")}
    assert client.post(f"/admin/refunds/{refund.id}", data=decision).status_code == 303
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.REFUNDED
    assert db.session.get(RefundRequest, refund.id).status == RefundStatus.APPROVED
    assert db.session.scalar(select(Enrollment.status)) == EnrollmentStatus.REVOKED
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "payment.refund"))
    assert entry.details["receipt"] == "SKQ96C7K7H"  # the payment's own receipt
    # A second approval (another admin, a double click) changes nothing.
    again = client.post(f"/admin/refunds/{refund.id}", data=decision)
    assert again.status_code == 303
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "payment.refund")).all()) == 1


def test_a_learner_who_watched_a_fifth_or_more_is_told_why_not(client, login, paid):
    learner, course, lessons, payment = paid
    watched(learner, lessons[0], 600)
    watched(learner, lessons[1], 5000)  # more than the lesson's length counts as its length
    login(learner)
    assert "you have watched 100%" in client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    response = ask(client, payment)
    assert response.status_code == 409 and db.session.scalar(select(RefundRequest)) is None


def test_after_the_window_no_refund_can_be_asked(client, login, paid):
    learner, course, lessons, payment = paid
    payment.settled_at = utcnow() - timedelta(days=7, minutes=1)
    db.session.commit()
    login(learner)
    assert "within 7 days" in client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)
    assert ask(client, payment).status_code == 409 and db.session.scalar(select(RefundRequest)) is None


def test_a_declined_request_keeps_the_course_and_the_learner_reads_why(client, login, make, paid):
    learner, course, lessons, payment = paid
    login(learner)
    ask(client, payment)
    refund = db.session.scalar(select(RefundRequest))
    login(make.user(role=Role.ADMIN))
    assert post_confirmed(client, f"/admin/refunds/{refund.id}", action="decline",
                          note="You finished the quizzes").status_code == 303
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCESS
    assert db.session.scalar(select(Enrollment.status)) == EnrollmentStatus.ACTIVE
    login(learner)
    assert "declined: You finished the quizzes" in client.get(f"/payments/{payment.id}/receipt").get_data(as_text=True)


def test_approving_needs_a_note_and_the_confirmation_token(client, login, make, paid):
    learner, course, lessons, payment = paid
    login(learner)
    ask(client, payment)
    refund = db.session.scalar(select(RefundRequest))
    login(make.user(role=Role.ADMIN))
    assert post_confirmed(client, f"/admin/refunds/{refund.id}", action="approve", note="").status_code == 422
    refused = client.post(f"/admin/refunds/{refund.id}", data={"action": "approve", "note": "x"})
    assert refused.status_code == 400
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCESS


def test_someone_elses_payment_cannot_be_asked_for(client, login, make, paid):
    learner, course, lessons, payment = paid
    login(make.user())
    assert ask(client, payment).status_code == 404
    login(make.user(role=Role.INSTRUCTOR))
    assert client.get("/admin/refunds").status_code == 403
