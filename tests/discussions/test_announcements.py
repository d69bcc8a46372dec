"""An instructor announces to a course: shown on the course's questions page, in each learner's inbox, and
emailed, one job per learner, in each learner's language, to those who allow it; a rerun sends nothing twice."""
from __future__ import annotations

from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.inbox import services as inbox
from mwanzo.inbox import tasks
from mwanzo.inbox.models import Notification
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.notifications.models import OutboundEmail


def test_announcement_reaches_each_learner_once_in_their_language(client, login, make):
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id, title="Excel basics")
    english, swahili, muted = make.user(locale="en"), make.user(locale="sw"), make.user()
    revoked, outsider = make.user(), make.user()
    for learner in (english, swahili, muted):
        make.enrollment(learner, course)
    make.enrollment(revoked, course, status=EnrollmentStatus.REVOKED)
    inbox.save_settings(muted.id, ["ANSWER", "ACCEPTED"], False)
    db.session.commit()
    login(teacher)
    response = client.post(f"/studio/courses/{course.id}/announcements",
                           data={"title": "Live class on Friday", "body": "Join at **6 pm**."})
    assert response.status_code == 302
    subjects = dict(db.session.execute(select(OutboundEmail.to_address, OutboundEmail.subject)).all())
    assert subjects == {english.email: "Announcement in Excel basics: Live class on Friday",
                        swahili.email: "Tangazo katika Excel basics: Live class on Friday"}
    notified = set(db.session.scalars(select(Notification.user_id)))
    assert notified == {english.id, swahili.id, muted.id}
    for note in db.session.scalars(select(Notification)):  # the jobs again: nothing more is sent
        tasks.email_notification(str(note.id))
    assert db.session.scalar(select(db.func.count()).select_from(OutboundEmail)) == 2
    login(swahili)
    page = client.get(f"/learn/{course.slug}/questions").get_data(as_text=True)
    assert "Matangazo" in page and "Live class on Friday" in page and "<strong>6 pm</strong>" in page
    login(outsider)
    assert client.get(f"/learn/{course.slug}/questions").status_code == 404


def test_only_the_courses_instructor_announces(client, login, make):
    course = make.course()
    login(make.instructor())
    assert client.post(f"/studio/courses/{course.id}/announcements",
                       data={"title": "Hello all", "body": "x"}).status_code == 404
    login(make.user())
    assert client.get(f"/studio/courses/{course.id}/announcements").status_code == 403


def test_the_same_announcement_twice_within_a_minute_is_refused(client, login, make):
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id)
    login(teacher)
    data = {"title": "Exam moved", "body": "It is on Monday now."}
    assert client.post(f"/studio/courses/{course.id}/announcements", data=data).status_code == 302
    again = client.post(f"/studio/courses/{course.id}/announcements", data=data)
    assert again.status_code == 409 and "less than a minute ago" in again.get_data(as_text=True)


def test_an_announcement_costs_the_same_queries_for_three_learners_or_thirty(make):
    from mwanzo.discussions import services
    from tests.queries import count_queries

    def queries_to_announce(learners: int, title: str) -> int:
        teacher = make.instructor()
        course = make.course(instructor_id=teacher.id)
        for n in range(learners):
            learner = make.user()
            make.enrollment(learner, course)
            if n % 2:  # half of them chose the digest: their settings are read too
                inbox.save_settings(learner.id, ["ANSWER"], True)
        db.session.commit()
        with count_queries() as statements:  # the fan-out in the request; each email job runs on its own later
            services.announce(teacher, course, title, "Body", "/learn/x/questions")
            db.session.flush()
        db.session.commit()
        assert db.session.scalar(select(db.func.count()).select_from(Notification)
                                 .where(Notification.params["title"].as_string() == title)) == learners
        return len(statements)

    assert queries_to_announce(3, "Few") == queries_to_announce(30, "Many")
