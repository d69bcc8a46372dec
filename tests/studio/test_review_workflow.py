"""DRAFT → submit (rules) → PENDING_REVIEW → approve/reject by an admin (emails, history) → resubmit."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.courses.models import Course, CourseReviewDecision, CourseStatus, LessonKind, ProcessingStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.studio import services
from tests.emails import emails_to, link_in
from tests.queries import count_queries
from tests.confirmations import confirmation_token


def ready_course(make, owner, **kwargs):
    course = make.draft_course(owner, thumbnail_key="courses/x/thumb/640.jpg", **kwargs)
    make.lesson(make.section(course), body_markdown="Learn this.")
    return course


def reload(course) -> Course:
    db.session.expire_all()
    return db.session.get(Course, course.id)


def test_submit_lists_everything_missing(client, make, login):
    owner = login(make.instructor())
    course = make.draft_course(owner, description="")
    section = make.section(course)
    make.lesson(section, kind=LessonKind.VIDEO, body_markdown=None, processing_status=ProcessingStatus.PROCESSING)
    response = client.post(f"/studio/courses/{course.id}/submit")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ready lesson" in html and "course description" in html and "thumbnail image" in html
    assert reload(course).status == CourseStatus.DRAFT


def test_submit_then_approve_publishes_and_emails_instructor(client, make, login):
    owner = login(make.instructor(email="teacher@example.com"))
    course = ready_course(make, owner, title="Tailoring basics")
    assert client.post(f"/studio/courses/{course.id}/submit").status_code == 302
    course = reload(course)
    assert course.status == CourseStatus.PENDING_REVIEW and course.submitted_at is not None
    assert client.post(f"/studio/courses/{course.id}/submit").status_code == 409  # already in review

    admin = login(make.user(role=Role.ADMIN, name="Amina Admin"))
    queue = client.get("/admin/reviews/").get_data(as_text=True)
    assert "Tailoring basics" in queue
    token = confirmation_token(client, f"/admin/reviews/{course.id}/approve")
    assert client.post(f"/admin/reviews/{course.id}/approve", data={"confirm_token": token}).status_code == 302
    course = reload(course)
    assert course.status == CourseStatus.PUBLISHED and course.published_at is not None
    assert course.lecture_count == 1
    email = emails_to("teacher@example.com", "course_approved")[0]
    assert "Tailoring basics" in email.subject and link_in(email, f"/courses/{course.slug}")
    again = client.post(f"/admin/reviews/{course.id}/approve", data={"confirm_token": token})
    assert again.status_code == 409  # no double decision
    decisions = db.session.scalars(select(CourseReviewDecision).order_by(CourseReviewDecision.created_at)).all()
    assert [(d.from_status, d.to_status) for d in decisions] == [
        (CourseStatus.DRAFT, CourseStatus.PENDING_REVIEW), (CourseStatus.PENDING_REVIEW, CourseStatus.PUBLISHED)]
    assert decisions[1].actor_id == admin.id


def test_reject_needs_reason_emails_it_and_instructor_can_resubmit(client, make, login):
    owner = make.instructor(email="teacher@example.com")
    course = ready_course(make, owner, status=CourseStatus.PENDING_REVIEW)
    login(make.user(role=Role.ADMIN, name="Amina Admin"))
    token = confirmation_token(client, f"/admin/reviews/{course.id}/reject")
    empty = client.post(f"/admin/reviews/{course.id}/reject", data={"reason": "", "confirm_token": token})
    assert empty.status_code == 422 and "This field is required" in empty.get_data(as_text=True)
    assert reload(course).status == CourseStatus.PENDING_REVIEW and not emails_to("teacher@example.com")

    reason = "The audio in lesson 2 is too quiet."
    response = client.post(f"/admin/reviews/{course.id}/reject", data={"reason": reason, "confirm_token": token})
    assert response.status_code == 302
    course = reload(course)
    assert course.status == CourseStatus.REJECTED and course.rejection_reason == reason
    email = emails_to("teacher@example.com", "course_rejected")[0]
    assert reason in email.body_text
    builder = link_in(email, "/studio/courses/")

    login(owner)
    page = client.get(builder).get_data(as_text=True)
    assert reason in page and "Amina Admin" in page and "Resubmit for review" in page  # shown in history
    assert client.post(f"/studio/courses/{course.id}/submit").status_code == 302
    assert reload(course).status == CourseStatus.PENDING_REVIEW and reload(course).rejection_reason is None


def test_state_machine_refuses_invalid_moves(make):
    owner = make.instructor()
    course = ready_course(make, owner)
    with pytest.raises(services.InvalidTransition):
        services.change_course_status(course, CourseStatus.PUBLISHED, owner)  # DRAFT cannot skip review
    assert course.status == CourseStatus.DRAFT


def test_queue_is_oldest_first_and_admin_only(client, make, login):
    owner = make.instructor()
    newer = ready_course(make, owner, title="Newer", status=CourseStatus.PENDING_REVIEW, submitted_at=utcnow())
    older = ready_course(make, owner, title="Older", status=CourseStatus.PENDING_REVIEW,
                         submitted_at=utcnow() - timedelta(days=2))
    ready_course(make, owner, title="Still a draft")
    login(owner)
    assert client.get("/admin/reviews/").status_code == 403
    assert client.post(f"/admin/reviews/{older.id}/approve").status_code == 403
    login(make.user(role=Role.ADMIN))
    html = client.get("/admin/reviews/").get_data(as_text=True)
    assert html.index("Older") < html.index("Newer") and "Still a draft" not in html
    page = client.get(f"/admin/reviews/{newer.id}")
    assert page.status_code == 200 and "Learn this." in page.get_data(as_text=True)  # lessons open as a learner sees


def test_review_queue_query_count_does_not_grow_with_courses(client, make, login):
    owner = make.instructor()
    login(make.user(role=Role.ADMIN))

    def statements() -> int:
        with count_queries() as statements:
            response = client.get("/admin/reviews/")
        count = len(statements)
        assert response.status_code == 200
        return count

    ready_course(make, owner, status=CourseStatus.PENDING_REVIEW, submitted_at=utcnow())
    one = statements()
    for _ in range(4):
        ready_course(make, make.instructor(), status=CourseStatus.PENDING_REVIEW, submitted_at=utcnow())
    assert statements() == one
