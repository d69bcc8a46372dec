"""Edits to a published course wait in a revision for an admin; learners keep the approved version."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.courses.models import Course, CourseRevision, Lesson, LessonKind, ProcessingStatus, RevisionStatus
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.studio import services
from tests.emails import emails_to, link_in

HTMX = {"HX-Request": "true"}
NEW_TITLE = "Sewing <b>masterclass</b>"


@pytest.fixture
def live(make, login):
    """A published course with one approved text lesson, an enrolled learner, its instructor (Swahili) and
    an admin."""
    instructor = make.instructor(email="wanjiru@example.com", locale="sw")
    course = make.course(instructor_id=instructor.id, title="Tailoring basics", slug="tailoring-basics",
                         description="Cut cloth straight.", price=0)
    section = make.section(course, title="Getting started")
    lesson = make.lesson(section, title="Measuring", body_markdown="Measure twice.")
    learner = make.user(email="brian@example.com")
    learning.enroll_free(learner, course)
    db.session.commit()
    return {"course": course, "section": section, "lesson": lesson, "learner": learner, "instructor": instructor,
            "admin": make.user(role=Role.ADMIN, name="Amina Admin")}



def decide(client, revision, action: str, data: dict):
    """What the admin's click on the revision page sends: its form's fields with the token that page shows."""
    url = f"/admin/reviews/revisions/{revision.id}/{action}"
    page = client.get(f"/admin/reviews/revisions/{revision.id}").text
    form = re.search(rf'action="{re.escape(url)}".*?</form>', page, re.S).group(0)
    token = re.search(r'name="confirm_token" value="([^"]+)"', form).group(1)
    return client.post(url, data={**data, "confirm_token": token})

def course_form(course, **overrides) -> dict:
    data = {"title": course.title, "short_description": course.short_description or "",
            "description": course.description, "learning_objectives": "", "requirements": "",
            "category_id": str(course.category_id), "level": "BEGINNER", "language": "English", "price": "0",
            "original_price": ""}
    data.update(overrides)
    return data


def lesson_form(lesson, **overrides) -> dict:
    data = {"title": lesson.title, "kind": "TEXT", "description": "", "body_markdown": lesson.body_markdown,
            "duration_minutes": "5", "is_published": "y"}
    data.update(overrides)
    return data


def propose_changes(client, login, live) -> Lesson:
    """As the instructor, without JavaScript: new title and description, a lesson's text, a new lesson."""
    course, lesson = live["course"], live["lesson"]
    login(live["instructor"])
    edited = client.post(f"/studio/courses/{course.id}/edit", data=course_form(
        course, title=NEW_TITLE, description="Cut cloth on the bias.", price="250"))
    assert edited.status_code == 302
    assert client.post(f"/studio/lessons/{lesson.id}/edit",
                       data=lesson_form(lesson, body_markdown="Measure three times.")).status_code == 302
    created = client.post(f"/studio/sections/{live['section'].id}/lessons", data={"title": "Hemming", "kind": "TEXT"})
    assert created.status_code == 302
    new_lesson = db.session.scalar(select(Lesson).where(Lesson.title == "Hemming"))
    assert client.post(f"/studio/lessons/{new_lesson.id}/edit",
                       data=lesson_form(new_lesson, body_markdown="Fold the edge.")).status_code == 302
    return new_lesson


def revision() -> CourseRevision:
    db.session.expire_all()
    return db.session.scalar(select(CourseRevision).order_by(CourseRevision.created_at.desc()))


def assert_learners_see_approved_version(client, login, live, new_lesson) -> None:
    course = live["course"]
    login(live["learner"])
    page = client.get("/courses/tailoring-basics").text
    assert "Tailoring basics" in page and "Cut cloth straight." in page
    assert "masterclass" not in page and "bias" not in page and "Hemming" not in page
    found = client.get("/courses", query_string={"q": "tailoring"}).text
    assert "Tailoring basics" in found and "masterclass" not in found
    assert "Sewing" not in client.get("/courses", query_string={"q": "masterclass"}).text
    player = client.get(f"/learn/{course.slug}/lessons/{live['lesson'].id}").text
    assert "Measure twice." in player and "three times" not in player and "Hemming" not in player
    assert client.get(f"/learn/{course.slug}/lessons/{new_lesson.id}").status_code == 404


def test_edits_wait_for_review_and_learners_keep_the_approved_version(client, login, live):
    new_lesson = propose_changes(client, login, live)
    held = revision()
    assert held.status == RevisionStatus.PENDING
    version = held.version
    db.session.expire_all()
    course = db.session.get(Course, live["course"].id)
    assert (course.title, course.price, course.lecture_count) == ("Tailoring basics", 250, 1)  # the price applies at once
    assert_learners_see_approved_version(client, login, live, new_lesson)

    # The instructor sees the draft, keeps editing it, and it stays one pending revision.
    login(live["instructor"])
    builder = client.get(f"/studio/courses/{course.id}").text
    # The instructor reads Swahili (their account's language).
    assert "Mabadiliko yanasubiri ukaguzi" in builder and "inasubiri ukaguzi" in builder
    form = client.get(f"/studio/courses/{course.id}/edit").text
    assert 'value="Sewing &lt;b&gt;masterclass&lt;/b&gt;"' in form and "Cut cloth on the bias." in form
    assert "Measure three times." in client.get(f"/studio/lessons/{live['lesson'].id}/edit").text
    again = client.post(f"/studio/courses/{course.id}/edit", data=course_form(
        course, title=NEW_TITLE, description="Cut cloth on the bias, slowly.", price="250"))
    assert again.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(CourseRevision)) == 1
    assert revision().version == version + 1


def test_admin_reads_an_escaped_diff_and_approval_makes_the_changes_live(client, login, live):
    new_lesson = propose_changes(client, login, live)
    held = revision()
    login(live["admin"])
    queue = client.get("/admin/reviews/").text
    assert "Changes to published courses" in queue and f"/admin/reviews/revisions/{held.id}" in queue
    page = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert "<del>- Tailoring basics</del>" in page and "<ins>+ Sewing &lt;b&gt;masterclass&lt;/b&gt;</ins>" in page
    assert "<b>masterclass" not in page
    assert "<del>- Measure twice.</del>" in page and "<ins>+ Measure three times.</ins>" in page
    assert "Hemming" in page and "Fold the edge." in page

    response = decide(client, held, "approve", {"version": held.version})
    assert response.status_code == 302
    assert revision().status == RevisionStatus.APPROVED
    course = db.session.get(Course, live["course"].id)
    assert (course.title, course.description, course.lecture_count) == (NEW_TITLE, "Cut cloth on the bias.", 2)
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "course_revision.approved")).all()
    assert entry.actor_id == live["admin"].id and entry.target_id == str(held.id)
    [email] = emails_to("wanjiru@example.com", "course_changes_approved")
    assert "Mabadiliko yako" in email.subject  # in the instructor's language

    login(live["learner"])
    page = client.get(link_in(email, f"/courses/{course.slug}")).text
    assert "Sewing &lt;b&gt;masterclass&lt;/b&gt;" in page and "bias" in page and "Hemming" in page
    assert "Sewing" in client.get("/courses", query_string={"q": "masterclass"}).text
    assert "Measure three times." in client.get(f"/learn/{course.slug}/lessons/{live['lesson'].id}").text
    assert "Fold the edge." in client.get(f"/learn/{course.slug}/lessons/{new_lesson.id}").text


def test_rejection_keeps_the_course_unchanged_tells_the_instructor_and_keeps_the_draft(client, login, live):
    new_lesson = propose_changes(client, login, live)
    held = revision()
    login(live["admin"])
    missing = decide(client, held, "reject", {"version": held.version, "reason": ""})
    assert missing.status_code == 422 and "This field is required" in missing.text
    assert revision().status == RevisionStatus.PENDING
    response = decide(client, held, "reject", {"version": held.version, "reason": "Keep <i>markup</i> out of titles."})
    assert response.status_code == 302
    rejected = revision()
    assert (rejected.status, rejected.reason) == (RevisionStatus.REJECTED, "Keep <i>markup</i> out of titles.")
    assert db.session.scalars(select(AuditLog).where(AuditLog.action == "course_revision.rejected")).all()
    [email] = emails_to("wanjiru@example.com", "course_changes_rejected")
    assert "Keep <i>markup</i> out of titles." in email.body_text
    assert "Keep &lt;i&gt;markup&lt;/i&gt; out of titles." in email.body_html
    assert_learners_see_approved_version(client, login, live, new_lesson)

    # The draft stays: the instructor sees why, edits it, and saving sends it back to review.
    login(live["instructor"])
    builder = client.get(link_in(email, "/studio/courses/")).text
    assert "Msimamizi hakukubali mabadiliko yako" in builder and "Keep &lt;i&gt;markup&lt;/i&gt; out of titles." in builder
    assert "Sewing &lt;b&gt;masterclass&lt;/b&gt;" in client.get(f"/studio/courses/{live['course'].id}/edit").text
    course = db.session.get(Course, live["course"].id)
    assert client.post(f"/studio/courses/{course.id}/edit", data=course_form(
        course, title="Sewing masterclass", description="Cut cloth on the bias.", price="250")).status_code == 302
    resubmitted = revision()
    assert resubmitted.id != rejected.id and resubmitted.status == RevisionStatus.PENDING
    assert resubmitted.changes["course"]["title"] == "Sewing masterclass"
    assert str(new_lesson.id) in resubmitted.changes["new_lessons"]  # the new lesson is still part of it
    assert "lessons" in resubmitted.changes


def test_an_edit_after_the_admin_opened_the_revision_needs_another_look(client, login, live):
    propose_changes(client, login, live)
    read = revision()
    login(live["instructor"])
    course = db.session.get(Course, live["course"].id)
    client.post(f"/studio/courses/{course.id}/edit", data=course_form(course, title="Something else entirely"))
    login(live["admin"])
    refused = decide(client, read, "approve", {"version": read.version})
    assert refused.status_code == 409 and "since you opened it" in refused.text
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "Tailoring basics" and revision().status == RevisionStatus.PENDING
    assert decide(client, read, "approve", {"version": "x"}).status_code == 400


def test_section_rename_by_htmx_is_held_and_the_builder_shows_the_draft(client, login, live):
    login(live["instructor"])
    section = live["section"]
    response = client.post(f"/studio/sections/{section.id}/rename", data={"title": "Week one"}, headers=HTMX)
    assert response.status_code == 200 and 'value="Week one"' in response.text
    assert "<html" not in response.text
    db.session.expire_all()
    assert db.session.get(type(section), section.id).title == "Getting started"
    added = client.post(f"/studio/courses/{live['course'].id}/sections", data={"title": "Bonus <em>week</em>"})
    assert added.status_code == 302
    login(live["learner"])
    page = client.get("/courses/tailoring-basics").text
    assert "Getting started" in page and "Week one" not in page and "Bonus" not in page
    player = client.get(f"/learn/tailoring-basics/lessons/{live['lesson'].id}").text
    assert "Getting started" in player and "Bonus" not in player


def test_the_video_of_an_approved_lesson_cannot_be_replaced(client, login, live, make):
    login(live["instructor"])
    video = make.lesson(live["section"], kind=LessonKind.VIDEO, body_markdown=None,
                        processing_status=ProcessingStatus.READY)
    form = client.post(f"/studio/lessons/{video.id}/video", data={"video": (b"not read", "clip.mp4")},
                       content_type="multipart/form-data")
    assert form.status_code == 409 and "haiwezi kubadilishwa" in form.text  # the instructor reads Swahili


def test_the_upload_script_is_told_an_approved_lesson_keeps_its_video(client, login, live, make, s3):
    login(live["instructor"])
    video = make.lesson(live["section"], kind=LessonKind.VIDEO, body_markdown=None,
                        processing_status=ProcessingStatus.READY)
    script = client.post(f"/studio/lessons/{video.id}/video/start", json={"filename": "clip.mp4", "size": 10})
    assert script.status_code == 409 and "haiwezi kubadilishwa" in script.get_json()["error"]


def test_edits_before_publication_still_apply_at_once(client, login, make):
    owner = login(make.instructor())
    course = make.draft_course(owner, title="Draft course")
    assert client.post(f"/studio/courses/{course.id}/edit", data=course_form(course, title="Renamed draft")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course.id).title == "Renamed draft"
    assert db.session.scalar(select(func.count()).select_from(CourseRevision)) == 0


def test_revision_decisions_need_the_csrf_token(client, login, live, csrf_enabled):
    course = db.session.get(Course, live["course"].id)
    details = services.CourseDetails(title="Sewing masterclass", short_description=None, description="New.",
                                     learning_objectives=[], requirements=[], category_id=course.category_id,
                                     price=course.price, original_price=None, level=course.level, language="English")
    services.update_course(course, details, live["instructor"])
    db.session.commit()
    held = revision()
    login(live["admin"])
    assert decide(client, held, "approve", {"version": held.version}).status_code == 400
    page = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert re.search(r'name="csrf_token"', page) and f'name="version" type="hidden" value="{held.version}"' in page
    assert revision().status == RevisionStatus.PENDING


def test_a_new_thumbnail_waits_for_review(client, login, live):
    from tests.studio.test_builder import image_bytes

    course = live["course"]
    login(live["instructor"])
    upload = course_form(course, thumbnail=(io.BytesIO(image_bytes()), "cover.png"))
    assert client.post(f"/studio/courses/{course.id}/edit", data=upload,
                       content_type="multipart/form-data").status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert course.thumbnail_key is None  # the catalogue still shows no picture
    held = revision()
    version = held.changes["thumbnail"]["thumbnail_renditions"]["version"]
    login(live["admin"])
    page = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert f"/thumbs/{course.id}/{version}/" in page
    thumb = re.search(rf'src="(/thumbs/{course.id}/{version}/[^"]+)"', page).group(1)
    assert client.get(thumb).status_code == 200
    decide(client, held, "approve", {"version": held.version})
    db.session.expire_all()
    assert db.session.get(Course, course.id).thumbnail_renditions["version"] == version


def test_a_revision_is_decided_only_with_the_token_its_own_page_shows(client, login, live):
    course = db.session.get(Course, live["course"].id)
    login(live["instructor"])
    client.post(f"/studio/courses/{course.id}/edit", data=course_form(course, title="Retitled by the instructor"))
    held = revision()
    login(live["admin"])
    bare = client.post(f"/admin/reviews/revisions/{held.id}/approve", data={"version": held.version})
    assert bare.status_code == 400
    fetched = client.get(f"/admin/reviews/revisions/{held.id}", headers={"HX-Request": "true"})
    assert fetched.status_code == 400 and "confirm_token" not in fetched.text
    db.session.expire_all()
    assert revision().status == RevisionStatus.PENDING
    assert decide(client, held, "approve", {"version": held.version}).status_code == 302
    db.session.expire_all()
    assert revision().status == RevisionStatus.APPROVED
