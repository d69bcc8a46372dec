"""Reports (of questions, answers, reviews and job posts), the admin queue (oldest first), hiding and restoring
with the reason shown to the author only, suspending posting; every moderator action confirmed on its own page
and audited."""
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
from tests.confirmations import post_confirmed


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
    assert post_confirmed(client, f"/admin/moderation/question/{question.id}/hide",
                          reason="Advertising is not allowed").status_code == 303
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
    post_confirmed(client, f"/admin/moderation/question/{question.id}/restore")
    login(reader)
    assert "Call 0700" in client.get(url).get_data(as_text=True)
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions == ["content.hide", "content.restore"]


def test_a_suspended_user_cannot_post_until_lifted(client, login, thread):
    course, question, author, _reader, admin = thread
    login(admin)
    assert f"/admin/users/{author.id}/posting" in client.get(f"/admin/users/{author.id}").get_data(as_text=True)
    post_confirmed(client, f"/admin/users/{author.id}/posting", reason="Repeated spam")
    account = client.get(f"/admin/users/{author.id}").get_data(as_text=True)
    assert "Stopped from posting: Repeated spam" in account and f"/admin/users/{author.id}/posting/lift" in account
    login(author)
    refused = client.post(f"/learn/{course.slug}/questions/{question.id}", data={"body": "More spam"})
    assert refused.status_code == 403 and "stopped this account from posting" in refused.get_data(as_text=True)
    login(admin)
    post_confirmed(client, f"/admin/users/{author.id}/posting/lift")
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
    post_confirmed(client, f"/admin/moderation/review/{review.id}/hide", reason="Advertising")
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


def test_moderation_changes_need_their_confirmation_page(client, login, thread):
    """What markup slipped into a post could send with the page's CSRF header changes nothing."""
    course, question, author, _reader, admin = thread
    login(admin)
    for url, data in ((f"/admin/moderation/question/{question.id}/hide", {"reason": "Spam"}),
                      (f"/admin/moderation/question/{question.id}/restore", {}),
                      (f"/admin/users/{author.id}/posting", {"reason": "Repeated spam"}),
                      (f"/admin/users/{author.id}/posting/lift", {})):
        refused = client.post(url, data=data, headers={"HX-Request": "true"})
        assert refused.status_code == 400 and "needs confirming" in refused.get_data(as_text=True)
        assert client.get(url, headers={"HX-Request": "true"}).status_code == 400  # the page is not for htmx
    db.session.expire_all()
    assert not services.course_question(course, question.id).is_hidden
    assert db.session.scalar(select(db.func.count()).select_from(AuditLog)) == 0
    # A token from the hide page does not restore, nor hide another post.
    from tests.confirmations import confirmation_token

    token = confirmation_token(client, f"/admin/moderation/question/{question.id}/hide", reason="Spam")
    assert client.post(f"/admin/moderation/question/{question.id}/restore",
                       data={"confirm_token": token}).status_code == 400
    short = client.post(f"/admin/moderation/question/{question.id}/hide", data={"reason": "x", "confirm_token": token})
    assert short.status_code == 422 and "Reason shown to the author" in short.get_data(as_text=True)


def test_a_reported_job_post_is_hidden_from_the_board_and_its_employer_sees_why(client, login, make):
    employer, reader, admin = make.user(role=Role.EMPLOYER), make.user(), make.user(role=Role.ADMIN)
    job = make.job(employer, title="Earn 50,000 a day from home", description="Send a registration fee first")
    db.session.commit()
    login(reader)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert f"/jobs/{job.id}/report" in page
    assert client.get(f"/jobs/{job.id}/report").status_code == 200
    assert client.post(f"/jobs/{job.id}/report", data={"reason": "x"}).status_code == 422
    assert client.post(f"/jobs/{job.id}/report", data={"reason": "A scam: asks for a fee"}).status_code == 302
    client.post(f"/jobs/{job.id}/report", data={"reason": "Again"})  # once per person
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 1
    login(admin)
    queue = client.get("/admin/reports").get_data(as_text=True)
    assert "A scam: asks for a fee" in queue and "Earn 50,000 a day" in queue and "Job post" in queue
    assert post_confirmed(client, f"/admin/moderation/job/{job.id}/hide",
                          reason="Asking applicants for money is not allowed").status_code == 303
    assert db.session.scalar(select(Report.status)) == ReportStatus.HIDDEN
    login(reader)
    seen = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Removed by a moderator." in seen and "registration fee" not in seen and "Earn 50,000" not in seen
    assert "Earn 50,000" not in client.get("/jobs").get_data(as_text=True)
    login(employer)
    own = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "registration fee" in own and "Reason: Asking applicants for money is not allowed" in own
    login(admin)
    post_confirmed(client, f"/admin/moderation/job/{job.id}/restore")
    login(reader)
    assert "Earn 50,000" in client.get("/jobs").get_data(as_text=True)
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.created_at)))
    assert actions == ["content.hide", "content.restore"]


def test_reporting_a_job_needs_signing_in_and_a_real_job(client, login, make):
    import uuid

    job = make.job(make.user(role=Role.EMPLOYER))
    db.session.commit()
    assert client.post(f"/jobs/{job.id}/report", data={"reason": "Spam"}).status_code == 302  # to sign in
    assert db.session.scalar(select(db.func.count()).select_from(Report)) == 0
    login(make.user())
    assert client.get(f"/jobs/{uuid.uuid4()}/report").status_code == 404
