"""Captions uploaded to an approved lesson of a published course wait for review like its text: learners keep
the approved captions and transcript until an admin approves; the admin reads the words old against new."""
from __future__ import annotations

import io

from sqlalchemy import select

from mwanzo.courses.models import LessonCaption
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from tests.learning.media_fixtures import make_ready, ready_video_lesson
from tests.media.test_captions import upload
from tests.studio.test_revisions import decide, live, revision  # noqa: F401 (fixture)

NEW = "WEBVTT\n\n00:00.000 --> 00:03.000\nHabari! Tunaanza leo.\n"


def captions_of(lesson) -> LessonCaption:
    db.session.expire_all()
    return db.session.scalar(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id,
                                                         LessonCaption.language == "en"))


def test_new_captions_on_a_published_lesson_wait_for_review_then_go_live(client, login, live):
    course = live["course"]
    video = ready_video_lesson(live["section"], title="Cutting")  # approved, with English captions
    approved_key = captions_of(video).key
    login(live["instructor"])
    response = upload(client, video, NEW.encode())
    assert response.status_code == 302
    page = client.get(response.location).text
    assert "Inasubiri ukaguzi" in page  # the instructor reads Swahili
    held = revision().changes["captions"][str(video.id)]["en"]
    assert captions_of(video).key == approved_key and get_storage().exists(held["key"])

    login(live["learner"])
    player = client.get(f"/learn/{course.slug}/lessons/{video.id}").text
    assert "Karibu! Welcome." in player and "Tunaanza" not in player
    assert "Tunaanza" not in client.get(f"/learn/{course.slug}/transcripts?q=tunaanza").text

    login(live["admin"])
    pending = revision()
    diff = client.get(f"/admin/reviews/revisions/{pending.id}").text
    assert "<del>- Karibu! Welcome.</del>" in diff and "<ins>+ Habari! Tunaanza leo.</ins>" in diff
    assert decide(client, pending, "approve", {"version": pending.version}).status_code == 302
    live_captions = captions_of(video)
    assert live_captions.key == held["key"] and live_captions.cues == [[0, 3000, "Habari! Tunaanza leo."]]
    assert not get_storage().exists(approved_key)  # the replaced file went once approval committed

    login(live["learner"])
    assert "Tunaanza leo." in client.get(f"/learn/{course.slug}/lessons/{video.id}").text


def test_removing_held_captions_drops_them_from_the_revision_and_deletes_the_file(client, login, live):
    video = ready_video_lesson(live["section"], title="Cutting")
    login(live["instructor"])
    upload(client, video, NEW.encode(), language="sw")
    held = revision().changes["captions"][str(video.id)]["sw"]
    assert client.post(f"/studio/lessons/{video.id}/captions/sw/delete").status_code == 302
    assert revision() is None or "captions" not in revision().changes
    assert not get_storage().exists(held["key"])
    assert captions_of(video) is not None  # the approved English captions are untouched


def test_captions_of_a_draft_course_apply_at_once(client, login, make):
    owner = login(make.instructor())
    lesson = make_ready(make.lesson(make.section(make.draft_course(owner)), body_markdown=None), captions=False)
    assert upload(client, lesson, NEW.encode()).status_code == 302
    assert captions_of(lesson).cues == [[0, 3000, "Habari! Tunaanza leo."]]
    assert revision() is None
