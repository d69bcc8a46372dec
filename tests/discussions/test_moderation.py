"""Reports, the admin queue (oldest first), hiding and restoring with the reason shown to the author only,
suspending posting; every moderator action audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.discussions import services
from mwanzo.discussions.models import Report, ReportStatus
from mwanzo.extensions import db


@pytest.fixture
def thread(make):
    teacher = make.instructor()
    course = make.course(instructor_id=teacher.id)
    author, reader = make.user(name="Otieno Spammer"), make.user()
    make.enrollment(author, course), make.enrollment(reader, course)
    question = services.ask(author, course, "Buy cheap phones here", "Call 0700 000 000")
    db.session.commit()
    return course, question, author, reader, make.user(role=Role.ADMIN)


def test_a_report_lands_in_the_queue_oldest_first(client, login, make, thread):
    course, question, author, reader, admin = thread
    answer = services.answer(author, course, question, "Still selling", "/")
    db.session.commit()
    login(reader)
    assert client.get(f"/learn/{course.slug}/report/question/{question.id}").status_code == 200
    client.post(f"/learn/{course.slug}/report/answer/{answer.id}", data={"reason": "Advertising"})
    client.post(f"/learn/{course.slug}/report/question/{question.id}", data={"reason": "Spam"})
    client.post(f"/learn/{course.slug}/report/question/{question.id}", data={"reason": "Spam again"})  # once each
    older = db.session.scalar(select(Report).where(Report.reason == "Advertising"))
    older.created_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 2
    login(admin)
    page = client.get("/admin/reports").get_data(as_text=True)
    assert page.index("Advertising") < page.index("Spam")


def test_reporting_needs_access_to_the_course(client, login, make, thread):
    course, question, *_ = thread
    login(make.user())
    assert client.post(f"/learn/{course.slug}/report/question/{question.id}", data={"reason": "Spam"}).status_code == 404


def test_hidden_post_shows_removed_to_others_and_the_reason_to_its_author(client, login, thread):
    course, question, author, reader, admin = thread
    login(reader)
    client.post(f"/learn/{course.slug}/report/question/{question.id}", data={"reason": "Spam"})
    login(admin)
    assert client.post(f"/admin/moderation/question/{question.id}/hide",
                       data={"reason": "Advertising is not allowed"}).status_code == 302
    url = f"/learn/{course.slug}/questions/{question.id}"
    login(reader)
    seen = client.get(url).get_data(as_text=True)
    assert "Removed by a moderator." in seen and "Call 0700" not in seen and "Buy cheap phones" not in seen
    assert "Buy cheap phones" not in client.get(f"/learn/{course.slug}/questions").get_data(as_text=True)
    login(author)
    own = client.get(url).get_data(as_text=True)
    assert "Call 0700" in own and "Reason: Advertising is not allowed" in own
    assert db.session.scalar(select(Report.status)) == ReportStatus.HIDDEN
    login(admin)
    client.post(f"/admin/moderation/question/{question.id}/restore")
    login(reader)
    assert "Call 0700" in client.get(url).get_data(as_text=True)
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions == ["content.hide", "content.restore"]


def test_a_suspended_user_cannot_post_until_lifted(client, login, thread):
    course, question, author, _reader, admin = thread
    login(admin)
    client.post(f"/admin/users/{author.id}/posting", data={"reason": "Repeated spam"})
    login(author)
    refused = client.post(f"/learn/{course.slug}/questions/{question.id}", data={"body": "More spam"})
    assert refused.status_code == 403 and "stopped this account from posting" in refused.get_data(as_text=True)
    login(admin)
    client.post(f"/admin/users/{author.id}/posting/lift")
    login(author)
    assert client.post(f"/learn/{course.slug}/questions/{question.id}", data={"body": "Sorry"}).status_code == 302
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions == ["user.suspend_posting", "user.lift_posting_suspension"]


def test_moderation_is_for_admins_only(client, login, thread):
    course, question, _author, reader, _admin = thread
    login(reader)
    assert client.get("/admin/reports").status_code == 403
    assert client.post(f"/admin/moderation/question/{question.id}/hide", data={"reason": "x y z"}).status_code == 403


def test_a_reported_review_can_be_hidden_and_its_author_sees_why(client, login, make):
    course = make.course()
    author, visitor, admin = make.user(name="Kamau Njoroge"), make.user(), make.user(role=Role.ADMIN)
    review = make.review(course, rating=1, text="Rubbish, visit my shop instead", student=author)
    login(visitor)  # not enrolled: reviews are public, so anyone signed in may report one
    assert client.post(f"/courses/{course.slug}/reviews/{review.id}/report",
                       data={"reason": "Advertising"}).status_code == 302
    login(admin)
    assert "Rubbish, visit my shop" in client.get("/admin/reports").get_data(as_text=True)
    client.post(f"/admin/moderation/review/{review.id}/hide", data={"reason": "Advertising"})
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()
    public = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "Removed by a moderator." in public and "visit my shop" not in public
    login(author)
    own = client.get(f"/courses/{course.slug}/reviews").get_data(as_text=True)
    assert "visit my shop" in own and "Reason: Advertising" in own
    assert list(db.session.scalars(select(AuditLog.action))) == ["content.hide"]


def test_reporting_something_that_is_not_a_post_is_not_found(client, login, thread):
    course, question, _author, reader, _admin = thread
    login(reader)
    assert client.get(f"/learn/{course.slug}/report/review/{question.id}").status_code == 404
    assert client.get(f"/learn/{course.slug}/report/answer/{question.id}").status_code == 404
