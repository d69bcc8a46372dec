"""The inbox hears from the domains that own the events: a course approved or rejected, a payment settled,
an application's status changed. Each is an explicit call from the owning service, and its own email (the
decision, the receipt, the new status) goes out once, under the user's choice for that kind: muted, none
(the inbox still has it); daily digest, one digest email instead."""
from __future__ import annotations

from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers import services as careers
from mwanzo.careers.models import ApplicationStatus
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.inbox import tasks
from mwanzo.inbox.models import Notification, NotificationKind
from mwanzo.inbox.services import message, save_settings
from mwanzo.notifications.models import OutboundEmail
from mwanzo.studio import services as studio


def emails_to(user):
    return list(db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == user.email)))


def every_kind_but(*muted: NotificationKind) -> list[str]:
    return [kind.value for kind in NotificationKind if kind not in muted]


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


def settle(make, learner, title="Solar installation"):
    from decimal import Decimal

    from mwanzo.learning.models import EnrollmentStatus
    from mwanzo.payments.models import PaymentStatus
    from mwanzo.payments.services import mark_paid

    course = make.course(title=title, price=Decimal("800"))
    payment = make.payment(make.enrollment(learner, course, status=EnrollmentStatus.PENDING_PAYMENT), "800",
                           PaymentStatus.PENDING)
    assert mark_paid(payment, "QGH7XY12AB")
    db.session.commit()
    return payment


def test_each_event_sends_its_own_email_once_and_no_generic_one(app, make):
    teacher, admin, learner = make.instructor(), make.user(role=Role.ADMIN), make.user()
    studio.approve(make.course(instructor_id=teacher.id, title="Bookkeeping", status=CourseStatus.PENDING_REVIEW),
                   admin)
    db.session.commit()
    settle(make, learner)
    assert [email.template for email in emails_to(teacher)] == ["course_approved"]
    assert [email.template for email in emails_to(learner)].count("payment_receipt") == 1
    assert "notification" not in [email.template for email in emails_to(learner)]
    assert all(note.emailed_at is not None for note in notes_of(teacher) + notes_of(learner))


def test_a_muted_kind_sends_no_email_but_stays_in_the_inbox(make):
    teacher, admin, learner = make.instructor(), make.user(role=Role.ADMIN), make.user()
    employer = make.user(role=Role.EMPLOYER)
    save_settings(teacher.id, every_kind_but(NotificationKind.COURSE_DECISION), False)
    save_settings(learner.id, every_kind_but(NotificationKind.PAYMENT, NotificationKind.APPLICATION), False)
    db.session.commit()
    studio.reject(make.course(instructor_id=teacher.id, status=CourseStatus.PENDING_REVIEW), admin, "Add lessons")
    db.session.commit()
    settle(make, learner)
    application = careers.apply(make.job(employer, title="Data clerk"), learner, "Hello", [])
    db.session.commit()
    careers.change_status(careers.get_application(application.id), ApplicationStatus.SHORTLISTED)
    db.session.commit()
    assert emails_to(teacher) == []
    assert [email.template for email in emails_to(learner)] == ["enrollment_confirmation"]  # not a notification
    assert [note.kind for note in notes_of(teacher)] == [NotificationKind.COURSE_DECISION]
    assert {note.kind for note in notes_of(learner)} == {NotificationKind.PAYMENT, NotificationKind.APPLICATION}


def test_with_the_daily_digest_the_events_arrive_in_one_email(make):
    employer, learner = make.user(role=Role.EMPLOYER), make.user()
    save_settings(learner.id, every_kind_but(), True)
    db.session.commit()
    settle(make, learner, "Solar installation")
    application = careers.apply(make.job(employer, title="Data clerk"), learner, "Hello", [])
    db.session.commit()
    careers.change_status(careers.get_application(application.id), ApplicationStatus.SHORTLISTED)
    db.session.commit()
    assert [email.template for email in emails_to(learner)] == ["enrollment_confirmation"]
    assert tasks.send_daily_digests() == 1
    [digest] = [email for email in emails_to(learner) if email.template != "enrollment_confirmation"]
    assert digest.template == "notification_digest"
    assert "Your payment for Solar installation went through" in digest.body_text
    assert "Your application for Data clerk changed" in digest.body_text
