"""The inbox hears from the domains that own the events: a course approved or rejected, a payment settled,
an application's status changed. Each is an explicit call from the owning service."""
from __future__ import annotations

from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers import services as careers
from mwanzo.careers.models import ApplicationStatus
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.inbox.models import Notification, NotificationKind
from mwanzo.inbox.services import message
from mwanzo.studio import services as studio


def notes_of(user):
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def test_course_approved_and_rejected_reach_the_instructor(app, make):
    teacher, admin = make.instructor(), make.user(role=Role.ADMIN)
    first = make.course(instructor_id=teacher.id, title="Bookkeeping", status=CourseStatus.PENDING_REVIEW)
    second = make.course(instructor_id=teacher.id, title="Tailoring", status=CourseStatus.PENDING_REVIEW)
    studio.approve(first, admin)
    studio.reject(second, admin, "Add more lessons")
    db.session.commit()
    with app.test_request_context():
        texts = sorted(message(note) for note in notes_of(teacher))
    assert texts == ["Your course “Bookkeeping” was approved", "Your course “Tailoring” needs changes"]
    links = {note.link for note in notes_of(teacher)}
    assert f"/courses/{first.slug}" in links and f"/studio/courses/{second.id}" in links


def test_application_status_change_reaches_the_applicant(make):
    employer, learner = make.user(role=Role.EMPLOYER), make.user()
    job = make.job(employer, title="Data clerk")
    application = careers.apply(job, learner, "Hello", [])
    db.session.commit()
    careers.change_status(careers.get_application(application.id), ApplicationStatus.SHORTLISTED)
    db.session.commit()
    [note] = notes_of(learner)
    assert note.kind == NotificationKind.APPLICATION and note.params == {"job": "Data clerk"}
    assert note.link == "/applications"


def test_a_settled_payment_reaches_the_learner_once(make):
    from decimal import Decimal

    from mwanzo.learning.models import EnrollmentStatus
    from mwanzo.payments.models import PaymentStatus
    from mwanzo.payments.services import mark_paid

    learner = make.user()
    course = make.course(title="Solar installation", price=Decimal("800"))
    enrolment = make.enrollment(learner, course, status=EnrollmentStatus.PENDING_PAYMENT)
    payment = make.payment(enrolment, "800", PaymentStatus.PENDING)
    assert mark_paid(payment, "QGH7XY12AB")
    db.session.commit()
    assert not mark_paid(payment, "QGH7XY12AB")  # a duplicate callback changes nothing
    db.session.commit()
    [note] = notes_of(learner)
    assert note.kind == NotificationKind.PAYMENT and note.params == {"course": "Solar installation"}
    assert note.link == f"/payments/{payment.id}/receipt"
