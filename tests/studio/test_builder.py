"""Course builder: forms and validation, curriculum editing, reordering, ownership, counters."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from PIL import Image
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.courses.images import thumbnail_key
from mwanzo.courses.models import Course, CourseStatus, Lesson, LessonKind, Section
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from tests.queries import count_queries


def course_form(category, **overrides) -> dict:
    data = {"title": "Excel for small shops", "short_description": "Keep stock and sales in a sheet",
            "description": "## Learn\nSpreadsheets for your duka.", "learning_objectives": "Track stock\n\nTrack sales\n",
            "requirements": "A phone", "category_id": str(category.id), "level": "BEGINNER", "language": "English",
            "price": "500", "original_price": ""}
    data.update(overrides)
    return data


def image_bytes(fmt="PNG", size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 20)).save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def owner(make, login):
    return login(make.instructor())


def test_create_course_with_every_field_and_thumbnail(client, make, owner):
    category = make.category()
    data = course_form(category, thumbnail=(io.BytesIO(image_bytes()), "cover.png"))
    response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    course = db.session.scalar(select(Course))
    assert (course.title, course.slug, course.status, course.instructor_id) == (
        "Excel for small shops", "excel-for-small-shops", CourseStatus.DRAFT, owner.id)
    assert course.learning_objectives == ["Track stock", "Track sales"] and course.requirements == ["A phone"]
    assert course.price == Decimal("500") and course.original_price is None
    sizes = course.thumbnail_renditions
    assert sizes["widths"] == [320, 480, 640]
    with get_storage().open(thumbnail_key(course.id, sizes["version"], 320, "webp")) as handle:
        stored = Image.open(handle)
        assert (stored.format, stored.size) == ("WEBP", (320, 180))
    assert course.thumbnail_key == f"courses/{course.id}/thumb/{sizes['version']}"


def test_slug_stays_unique(client, make, owner):
    category = make.category()
    make.course(title="Excel for small shops", slug="excel-for-small-shops")
    client.post("/studio/courses/new", data=course_form(category))
    client.post("/studio/courses/new", data=course_form(category))
    slugs = sorted(db.session.scalars(select(Course.slug)))
    assert slugs == ["excel-for-small-shops", "excel-for-small-shops-2", "excel-for-small-shops-3"]


@pytest.mark.parametrize("overrides, message", [
    ({"price": "-1"}, "Enter a price from 0 (free)"),
    ({"price": "100", "original_price": "80"}, "must be higher than the price"),
    ({"title": ""}, "This field is required"),
])
def test_invalid_course_form_rerenders_with_422(client, make, owner, overrides, message):
    response = client.post("/studio/courses/new", data=course_form(make.category(), **overrides))
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count(Course.id))) == 0


def test_text_file_as_thumbnail_is_refused_and_nothing_saved(client, make, owner):
    data = course_form(make.category(), thumbnail=(io.BytesIO(b"not an image at all"), "cover.png"))
    response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "not an image we can read" in response.get_data(as_text=True)
    assert db.session.scalar(select(sa.func.count(Course.id))) == 0


def test_edit_keeps_published_course_published(client, make, owner):
    course = make.course(instructor_id=owner.id, title="Old title")
    slug = course.slug
    response = client.post(f"/studio/courses/{course.id}/edit",
                           data=course_form(make.category(), title="Bookkeeping basics", price="0"))
    assert response.status_code == 302
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    # The price applies at once; the new title waits for review (tests/studio/test_revisions.py).
    assert (course.title, course.slug, course.status, course.price) == (
        "Old title", slug, CourseStatus.PUBLISHED, 0)


def test_course_form_with_csrf_on_refuses_missing_token(client, make, owner, csrf_enabled):
    response = client.post("/studio/courses/new", data=course_form(make.category()))
    assert response.status_code == 400
    page = client.get("/studio/courses/new").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_sections_and_lessons_add_rename_delete(client, make, owner):
    course = make.draft_course(owner)
    client.post(f"/studio/courses/{course.id}/sections", data={"title": "Week 1"})
    section = db.session.scalar(select(Section))
    client.post(f"/studio/sections/{section.id}/rename", data={"title": "Getting started"})
    response = client.post(f"/studio/sections/{section.id}/lessons", data={"title": "Why budgets", "kind": "TEXT"})
    lesson = db.session.scalar(select(Lesson))
    assert response.headers["Location"].endswith(f"/studio/lessons/{lesson.id}/edit")
    saved = client.post(f"/studio/lessons/{lesson.id}/edit", data={
        "title": "Why budgets matter", "kind": "TEXT", "body_markdown": "Plan **before** you spend.",
        "duration_minutes": "7", "is_preview": "y", "is_published": "y"})
    assert saved.status_code == 302
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson.id)
    course = db.session.get(Course, course.id)
    assert (lesson.title, lesson.is_preview, lesson.duration_seconds) == ("Why budgets matter", True, 420)
    assert (course.lecture_count, course.duration_minutes) == (1, 7)
    page = client.get(f"/studio/courses/{course.id}").get_data(as_text=True)
    assert "Getting started" in page and "Why budgets matter" in page

    confirm = client.get(f"/studio/lessons/{lesson.id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    lesson_id, course_id = lesson.id, course.id
    client.post(f"/studio/lessons/{lesson_id}/delete")
    db.session.expire_all()
    assert db.session.get(Lesson, lesson_id) is None
    assert db.session.get(Course, course_id).lecture_count == 0
    client.post(f"/studio/sections/{section.id}/delete")
    assert db.session.scalar(select(Section)) is None


def test_text_lesson_needs_text(client, make, owner):
    lesson = make.lesson(make.section(make.draft_course(owner)), body_markdown="x")
    response = client.post(f"/studio/lessons/{lesson.id}/edit", data={"title": "T", "kind": "TEXT", "body_markdown": ""})
    assert response.status_code == 422 and "needs some text" in response.get_data(as_text=True)


def test_counters_count_only_published_ready_lessons(client, make, owner):
    course = make.draft_course(owner)
    section = make.section(course)
    shown = make.lesson(section, duration_seconds=300)
    make.lesson(section, duration_seconds=600, is_published=False)
    make.lesson(section, kind=LessonKind.VIDEO, body_markdown=None, duration_seconds=900)  # no video yet
    client.post(f"/studio/lessons/{shown.id}/edit", data={"title": "A", "kind": "TEXT", "body_markdown": "Hi",
                                                          "duration_minutes": "5", "is_published": "y"})
    db.session.expire_all()
    course = db.session.get(Course, course.id)
    assert (course.lecture_count, course.duration_minutes) == (1, 5)


def order(model, parent_column, parent_id) -> list[str]:
    return list(db.session.scalars(select(model.title).where(parent_column == parent_id).order_by(model.display_order)))


def test_reorder_sections_and_lessons_with_and_without_htmx(client, make, owner):
    course = make.draft_course(owner)
    first, second, third = (make.section(course, title=t, display_order=i) for i, t in enumerate("ABC"))
    response = client.post(f"/studio/sections/{third.id}/move", data={"direction": "up"})
    assert response.status_code == 302
    db.session.expire_all()
    assert order(Section, Section.course_id, course.id) == ["A", "C", "B"]
    fragment = client.post(f"/studio/sections/{first.id}/move", data={"direction": "down"},
                           headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and html.lstrip().startswith('<section id="curriculum"')
    assert "HX-Request" in fragment.headers["Vary"]
    assert html.index('value="C"') < html.index('value="A"') < html.index('value="B"')
    db.session.expire_all()
    assert order(Section, Section.course_id, course.id) == ["C", "A", "B"]
    client.post(f"/studio/sections/{third.id}/move", data={"direction": "up"})  # already first: no change
    db.session.expire_all()
    assert order(Section, Section.course_id, course.id) == ["C", "A", "B"]

    lessons = [make.lesson(first, title=t, display_order=i) for i, t in enumerate(["x", "y"])]
    client.post(f"/studio/lessons/{lessons[1].id}/move", data={"direction": "up"}, headers={"HX-Request": "true"})
    db.session.expire_all()
    assert order(Lesson, Lesson.section_id, first.id) == ["y", "x"]
    assert client.post(f"/studio/lessons/{lessons[1].id}/move", data={"direction": "sideways"}).status_code == 400


@pytest.mark.parametrize("method, path", [
    ("get", "/studio/courses/{course}"), ("get", "/studio/courses/{course}/edit"),
    ("post", "/studio/courses/{course}/sections"), ("post", "/studio/sections/{section}/rename"),
    ("post", "/studio/sections/{section}/move"), ("post", "/studio/sections/{section}/delete"),
    ("get", "/studio/lessons/{lesson}/edit"), ("post", "/studio/lessons/{lesson}/delete"),
    ("post", "/studio/lessons/{lesson}/video"), ("get", "/studio/lessons/{lesson}/status"),
    ("get", "/studio/lessons/{lesson}/preview"), ("post", "/studio/courses/{course}/submit"),
])
def test_another_instructor_cannot_touch_the_course(client, make, login, method, path):
    course = make.draft_course(make.instructor())
    section = make.section(course, title="Mine")
    lesson = make.lesson(section)
    login(make.instructor())
    url = path.format(course=course.id, section=section.id, lesson=lesson.id)
    response = getattr(client, method)(url, data={"title": "Hacked", "direction": "up"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Section, section.id).title == "Mine"


def test_students_are_refused_and_admins_may_edit_any_course(client, make, login):
    course = make.draft_course(make.instructor())
    login(make.user(role=Role.STUDENT))
    assert client.get("/studio/").status_code == 403
    login(make.user(role=Role.ADMIN))
    assert client.get(f"/studio/courses/{course.id}").status_code == 200
    assert client.post(f"/studio/courses/{course.id}/sections", data={"title": "By admin"}).status_code == 302


def test_my_courses_shows_badges_counts_and_uses_fixed_queries(client, make, owner):
    make.draft_course(owner, title="Draft one")
    make.course(instructor_id=owner.id, title="Live one")
    make.draft_course(owner, title="Sent back", status=CourseStatus.REJECTED, rejection_reason="Audio too quiet")
    make.course(title="Someone else's")

    def statements():
        with count_queries() as statements:
            response = client.get("/studio/")
        count = len(statements)
        assert response.status_code == 200
        return count, response.get_data(as_text=True)

    many, html = statements()
    assert "Draft one" in html and "Live one" in html and "Someone else" not in html
    assert "Rejected" in html and "Audio too quiet" in html and "In review" in html
    for i in range(5):
        make.draft_course(owner, title=f"Extra {i}")
    assert statements()[0] == many


def test_builder_links_to_the_course_quizzes(client, make, owner):
    course = make.draft_course(owner)
    page = client.get(f"/studio/courses/{course.id}").get_data(as_text=True)
    assert f'href="/studio/courses/{course.id}/quizzes"' in page
