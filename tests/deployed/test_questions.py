"""Learners and instructors talk, deployed: a question asked and answered over HTTPS, the answer's notification in
the learner's inbox and its email delivered by the real RQ worker through the STARTTLS mail server; an
announcement reaching an enrolled learner's mailbox."""
import re
from email.header import decode_header, make_header

import pytest
from sqlalchemy import select

from mwanzo.discussions.models import CourseQuestion
from mwanzo.extensions import db
from tests import factories
from tests.deployed.conftest import form_post, visitor, wait_until

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]


def subject(message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def text_of(message) -> str:
    part = message.get_payload(0) if message.is_multipart() else message
    return part.get_payload(decode=True).decode()


def sign_in(deployment, session, email: str) -> None:
    signed_in = form_post(session, f"{deployment.url}/login", {"email": email, "password": factories.PASSWORD},
                          allow_redirects=False)
    assert signed_in.status_code == 302, signed_in.text[:500]


def course_with_learner(deployment, title: str, teacher_email: str, learner_email: str):
    with deployment.app_context():
        teacher = factories.instructor(name="Mwalimu Achieng", email=teacher_email)
        course = factories.course(instructor_id=teacher.id, title=title)
        learner = factories.user(name="Jabali Mutua", email=learner_email)
        factories.enrollment(learner, course)
        db.session.commit()
        return course.slug, course.id


def test_a_question_answered_by_the_instructor_reaches_the_learners_inbox_and_mailbox(deployment, browser_session):
    slug, _course_id = course_with_learner(deployment, "Poultry Keeping", "achieng.q@example.com",
                                           "jabali.q@example.com")
    sign_in(deployment, browser_session, "jabali.q@example.com")
    asked = form_post(browser_session, f"{deployment.url}/learn/{slug}/questions",
                      {"title": "How many hours of light do chicks need?", "body": "My brooder has one bulb."},
                      allow_redirects=False)
    assert asked.status_code == 302, asked.text[:500]
    thread_path = asked.headers["Location"]
    with deployment.app_context():
        assert db.session.scalar(select(CourseQuestion.id).where(
            CourseQuestion.title == "How many hours of light do chicks need?")) is not None

    with visitor(deployment) as teacher:
        sign_in(deployment, teacher, "achieng.q@example.com")
        answered = form_post(teacher, f"{deployment.url}{thread_path}",
                             {"body": "Keep the light on for 23 hours in the first week."}, allow_redirects=False)
        assert answered.status_code == 302, answered.text[:500]

    inbox = browser_session.get(f"{deployment.url}/notifications", timeout=30)
    assert inbox.status_code == 200
    assert "Mwalimu Achieng answered your question “How many hours of light do chicks need?”" in inbox.text
    assert re.search(r'<span class="badge" aria-label="1 unread">1</span>', inbox.text)

    message = deployment.wait_for_email("jabali.q@example.com")
    assert subject(message) == "Mwalimu Achieng answered your question “How many hours of light do chicks need?”"
    assert f"{deployment.url}{thread_path}" in text_of(message)
    request_id = answered.headers["X-Request-ID"]  # sent by the worker for the answer's request
    wait_until(lambda: any(r.get("message") == "job" and r.get("request_id") == request_id and r.get("outcome") == "ok"
                           and r.get("task") == "mwanzo.inbox.tasks.email_notification"
                           for r in deployment.json_log("worker")), 20, "the notification email job's log line")
    thread = browser_session.get(f"{deployment.url}{thread_path}", timeout=30)
    assert "Keep the light on for 23 hours" in thread.text


def test_an_announcement_reaches_an_enrolled_learners_mailbox(deployment, browser_session):
    slug, course_id = course_with_learner(deployment, "Tailoring for Beginners", "achieng.a@example.com",
                                          "jabali.a@example.com")
    sign_in(deployment, browser_session, "achieng.a@example.com")
    posted = form_post(browser_session, f"{deployment.url}/studio/courses/{course_id}/announcements",
                       {"title": "Live class on Saturday", "body": "Bring **a tape measure**."}, allow_redirects=False)
    assert posted.status_code == 302, posted.text[:500]
    message = deployment.wait_for_email("jabali.a@example.com")
    assert subject(message) == "Announcement in Tailoring for Beginners: Live class on Saturday"
    assert f"{deployment.url}/learn/{slug}/questions" in text_of(message)
