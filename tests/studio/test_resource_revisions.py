"""Files added to an approved lesson of a published course wait for review like its captions: learners keep
the approved files until an admin approves; the admin reads the new file's name and size; removing a file
applies at once, a held one included."""
from __future__ import annotations

import io

from sqlalchemy import select

from mwanzo.courses.models import LessonResource
from mwanzo.extensions import db
from mwanzo.media import resources
from mwanzo.storage import get_storage
from mwanzo.web.filters import format_bytes
from tests.media.test_resources import pdf_bytes, upload, xlsx_bytes
from tests.studio.test_revisions import decide, live, revision  # noqa: F401 (fixture)


def files_of(lesson) -> list[str]:
    db.session.expire_all()
    return [r.title for r in db.session.scalars(select(LessonResource).where(LessonResource.lesson_id == lesson.id)
                                                .order_by(LessonResource.created_at))]


def test_a_new_file_on_a_published_lesson_waits_for_review_then_learners_get_it(client, login, live):
    course, lesson = live["course"], live["lesson"]
    resources.add_resource(lesson, "Vipimo", io.BytesIO(pdf_bytes()))  # approved with the course
    db.session.commit()
    login(live["instructor"])
    response = upload(client, lesson, xlsx_bytes(), "prices.xlsx", title="Bei za sukari")
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Inasubiri ukaguzi" in page and "Bei-za-sukari.xlsx" in page  # the instructor reads Swahili
    held = next(iter(revision().changes["resources"][str(lesson.id)].values()))
    assert files_of(lesson) == ["Vipimo"] and get_storage().exists(held["key"])

    login(live["learner"])
    player = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").text
    assert "Vipimo" in player and "Bei za sukari" not in player

    login(live["admin"])
    pending = revision()
    diff = client.get(f"/admin/reviews/revisions/{pending.id}").text
    assert f"<ins>+ Bei-za-sukari.xlsx · {format_bytes(len(xlsx_bytes()))}</ins>" in diff
    assert decide(client, pending, "approve", {"version": pending.version}).status_code == 302
    assert files_of(lesson) == ["Vipimo", "Bei za sukari"]

    login(live["learner"])
    player = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").text
    assert "Bei za sukari" in player
    new = db.session.scalar(select(LessonResource).where(LessonResource.title == "Bei za sukari"))
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}/files/{new.id}").status_code == 302


def test_removing_files_applies_at_once_held_or_approved(client, login, live):
    lesson = live["lesson"]
    approved = resources.add_resource(lesson, "Vipimo", io.BytesIO(pdf_bytes()))
    approved_key = approved.key
    db.session.commit()
    login(live["instructor"])
    upload(client, lesson, xlsx_bytes(), "prices.xlsx", title="Bei za sukari")
    held_id, held = next(iter(revision().changes["resources"][str(lesson.id)].items()))
    assert client.post(f"/studio/lessons/{lesson.id}/resources/{held_id}/delete").status_code == 302
    assert (revision() is None or not revision().changes.get("resources")) and not get_storage().exists(held["key"])
    assert client.post(f"/studio/lessons/{lesson.id}/resources/{approved.id}/delete").status_code == 302
    assert files_of(lesson) == [] and not get_storage().exists(approved_key)  # learners lose it at once


def test_files_of_a_draft_course_apply_at_once(client, login, make):
    owner = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(owner)))
    assert upload(client, lesson, pdf_bytes(), "notes.pdf", title="Maelezo").status_code == 302
    assert files_of(lesson) == ["Maelezo"] and revision() is None
