"""Reusing a course: a duplicate shares its original's media files (and neither copy can remove the other's),
an exported archive imports as the same course with its media playable, and a bad archive is refused whole,
with a clear reason and nothing left behind."""
from __future__ import annotations

import io
import json
import os
import re
import zipfile
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, CourseStatus, Lesson, LessonCaption, LessonResource, Section
from mwanzo.extensions import db
from mwanzo.learning import release
from mwanzo.learning.models import SectionRelease
from mwanzo.media import captions, resources
from mwanzo.quizzes.models import Question, QuestionKind, Quiz
from mwanzo.storage import get_storage
from tests.learning.media_fixtures import ready_video_lesson
from tests.media.test_captions import upload as upload_captions
from tests.media.test_resources import pdf_bytes

VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nHabari mpya\n"


@pytest.fixture
def original(make, login):
    """A published course of a signed-in instructor: a reading, a video with captions and a file, a quiz with
    a question, and a second section that opens after the first."""
    owner = login(make.instructor())
    course = make.course(instructor_id=owner.id, title="Ushonaji")
    first = make.section(course, title="Misingi", display_order=0)
    second = make.section(course, title="Zaidi", display_order=1)
    make.lesson(first, title="Soma kwanza", body_markdown="Pima mara mbili.")
    video = ready_video_lesson(second, title="Kukata kitambaa")
    resources.add_resource(video, "Vipimo", io.BytesIO(pdf_bytes()))
    quiz = make.quiz(course, section_id=second.id, title="Jaribio")
    make.question(quiz, text="Pima mara ngapi?", answers=[("Mbili", True), ("Moja", False)])
    make.question(course, text="Swali la benki", kind=QuestionKind.NUMERIC, numeric_answer=Decimal("2.5"),
                  numeric_tolerance=Decimal("0.1"), answers=[])
    release.set_section_rule(second, first.id, quiz.id, 3, opens_at=datetime(2027, 1, 4, 5, 0, tzinfo=timezone.utc))
    db.session.commit()
    return course


def outline(course_id) -> dict:
    """What a course is made of, as a learner or instructor would list it."""
    db.session.expire_all()
    sections = db.session.scalars(select(Section).where(Section.course_id == course_id)
                                  .order_by(Section.display_order)).all()
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course_id)
                                 .order_by(Lesson.display_order, Lesson.title)).all()
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course_id)).all()
    rule = db.session.scalar(select(SectionRelease).where(SectionRelease.course_id == course_id))
    titles = {s.id: s.title for s in sections}
    return {
        "sections": [s.title for s in sections],
        "lessons": [(titles[lesson.section_id], lesson.title, lesson.kind.value, lesson.body_markdown,
                     lesson.processing_status and lesson.processing_status.value, len(lesson.renditions or []))
                    for lesson in lessons],
        "captions": sorted((c.language, c.cues) for c in db.session.scalars(
            select(LessonCaption).where(LessonCaption.course_id == course_id))),
        "resources": sorted((r.title, r.kind.value, r.bytes) for r in db.session.scalars(
            select(LessonResource).where(LessonResource.course_id == course_id))),
        "quizzes": [(q.title, titles.get(q.section_id), [(question.text, sorted((a.text, a.is_correct)
                                                                              for a in question.answers))
                                                       for question in db.session.scalars(
                                                           select(Question).where(Question.quiz_id == q.id)
                                                           .options(selectinload(Question.answers)))])
                    for q in quizzes],
        "bank": [(q.text, q.kind.value, q.numeric_answer, q.numeric_tolerance) for q in db.session.scalars(
            select(Question).where(Question.course_id == course_id, Question.quiz_id.is_(None)))],
        "release": rule and (titles[rule.section_id], titles[rule.after_section_id],
                             db.session.get(Quiz, rule.quiz_id).title, rule.days_after_enrolment, rule.opens_at),
    }


def video_of(course_id) -> Lesson:
    return db.session.scalar(select(Lesson).where(Lesson.course_id == course_id, Lesson.title == "Kukata kitambaa"))


def assert_playable(client, course_id) -> None:
    """Its instructor plays the video (master, variant, a segment) and downloads its file."""
    course, video = db.session.get(Course, course_id), video_of(course_id)
    base = f"/learn/{course.slug}/lessons/{video.id}"
    assert client.get(f"{base}/hls/master.m3u8").status_code == 200
    variant = client.get(f"{base}/hls/240p/index.m3u8").get_data(as_text=True)
    segment = next(line for line in variant.splitlines() if ".ts" in line)
    assert client.get(segment).status_code == 200
    resource = db.session.scalar(select(LessonResource).where(LessonResource.lesson_id == video.id))
    download = client.get(f"{base}/files/{resource.id}")
    assert download.status_code == 302 and client.get(download.location).data.startswith(b"%PDF")
    caption = db.session.scalar(select(LessonCaption).where(LessonCaption.lesson_id == video.id))
    assert get_storage().exists(caption.key)


def the_copy(original) -> Course:
    db.session.expire_all()
    return db.session.scalar(select(Course).where(Course.id != original.id, Course.instructor_id ==
                                                  original.instructor_id))


# ---------------------------------------------------------------- duplicate

def test_a_duplicate_is_a_new_draft_of_the_same_instructor_with_the_same_content(client, original):
    response = client.post(f"/studio/courses/{original.id}/duplicate")
    copy = the_copy(original)
    assert response.status_code == 302 and response.location.endswith(f"/studio/courses/{copy.id}")
    assert copy.status == CourseStatus.DRAFT and copy.title == "Ushonaji (copy)" and copy.slug != original.slug
    assert outline(copy.id) == outline(original.id)
    assert outline(copy.id)["release"] == ("Zaidi", "Misingi", "Jaribio", 3,
                                         datetime(2027, 1, 4, 5, 0, tzinfo=timezone.utc))
    assert video_of(copy.id).media_prefix == video_of(original.id).media_prefix  # shared, not copied
    assert_playable(client, copy.id)


def test_deleting_or_replacing_media_in_one_copy_keeps_the_others_files(client, original):
    client.post(f"/studio/courses/{original.id}/duplicate")
    copy = the_copy(original)
    shared_caption = db.session.scalar(select(LessonCaption.key).where(LessonCaption.lesson_id ==
                                                                       video_of(copy.id).id))
    assert upload_captions(client, video_of(copy.id), VTT.encode()).status_code == 302  # replaced in the copy
    assert get_storage().exists(shared_caption)  # the original still shows it
    assert client.post(f"/studio/lessons/{video_of(original.id).id}/delete").status_code == 302
    assert video_of(original.id) is None
    assert_playable(client, copy.id)  # the original's lesson and its files' rows are gone; the copy plays on
    copy_video = video_of(copy.id)
    assert client.post(f"/studio/lessons/{copy_video.id}/delete").status_code == 302
    assert not get_storage().exists(f"{copy_video.media_prefix}/master.m3u8")  # the last user: files go


# ---------------------------------------------------------------- export and import

def exported(client, course) -> bytes:
    response = client.post(f"/studio/courses/{course.id}/export")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f'filename={course.slug}.mwanzo.zip' in response.headers["Content-Disposition"]
    return response.data


def import_archive(client, data: bytes, name: str = "course.zip"):
    return client.post("/studio/courses/import", data={"archive": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_export_then_import_gives_the_same_course_with_its_media_playable(client, original, make, login):
    data = exported(client, original)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["schema_version"] == 1
        assert any(name.endswith(".ts") for name in archive.namelist())
    importer = login(make.instructor())  # another site's (or person's) studio
    response = import_archive(client, data)
    assert response.status_code == 302
    imported = db.session.scalar(select(Course).where(Course.instructor_id == importer.id))
    assert imported.status == CourseStatus.DRAFT and imported.title == "Ushonaji"
    assert outline(imported.id) == outline(original.id)
    video = video_of(imported.id)
    assert f"{video.media_prefix}/".startswith(f"lessons/{video.id}/")  # its own files, written from the archive
    assert_playable(client, imported.id)


def test_the_round_trip_and_shared_files_hold_on_s3_too(s3, client, make, login):
    """The same with media in a bucket: files listed by prefix, written to the bucket, kept while shared."""
    owner = login(make.instructor())
    course = make.course(instructor_id=owner.id, title="Ushonaji")
    ready_video_lesson(make.section(course), title="Kukata kitambaa")
    importer = login(make.instructor())
    login(owner)
    data = exported(client, course)
    login(importer)
    assert import_archive(client, data).status_code == 302
    imported = db.session.scalar(select(Course).where(Course.instructor_id == importer.id))
    assert outline(imported.id) == outline(course.id)
    video = video_of(imported.id)
    assert s3.exists(f"{video.media_prefix}/master.m3u8") and s3.exists(f"{video.media_prefix}/240p/index.m3u8")
    login(owner)
    client.post(f"/studio/courses/{course.id}/duplicate")
    shared = video_of(course.id).media_prefix
    assert client.post(f"/studio/lessons/{video_of(course.id).id}/delete").status_code == 302
    assert s3.exists(f"{shared}/master.m3u8")  # the duplicate still plays it


def counts() -> tuple:
    return (db.session.scalar(select(func.count()).select_from(Course)),
            len(list(get_storage().keys("lessons"))))


def archive_with(manifest=None, files: dict | None = None, raw: bytes | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if manifest is not None:
            archive.writestr("manifest.json", json.dumps(manifest))
        for name, content in (files or {}).items():
            archive.writestr(name, content)
    return raw if raw is not None else buffer.getvalue()


def test_bad_archives_are_refused_with_a_reason_and_nothing_is_kept(client, original, settings):
    data = exported(client, original)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = {name: archive.read(name) for name in archive.namelist() if name != "manifest.json"}
    before = counts()
    newer = {**manifest, "schema_version": 2}
    missing_file = dict(files)
    missing_file.pop(next(name for name in files if name.endswith(".vtt")))
    damaged = json.loads(json.dumps(manifest))
    damaged["quizzes"][0]["questions"][0]["points"] = "many"
    no_zone = json.loads(json.dumps(manifest))
    no_zone["sections"][1]["release"]["opens_at"] = "2027-01-04T08:00:00"  # which 08:00?
    cases = {
        "This is not a course archive": archive_with(raw=b"PK\x03\x04 not really a zip"),
        "has no manifest.json": archive_with(files={"media/lessons/x/a.ts": b"x"}),
        "unsafe or unexpected name": archive_with(manifest, {**files, "media/../../../etc/passwd": b"root"}),
        "this site reads format 1": archive_with(newer, files),
        "lacks the file": archive_with(manifest, missing_file),  # found late: files already written go again
        "unusable value for “points”": archive_with(damaged, files),
        "unusable value for “opens_at”": archive_with(no_zone, files),
    }
    for message, archive in cases.items():
        response = import_archive(client, archive)
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
        assert counts() == before, message
    assert "Choose a .zip archive" in import_archive(client, data, name="course.tar").get_data(as_text=True)


def test_an_archive_too_large_or_unpacking_to_too_much_is_refused_before_reading(client, original, settings):
    settings(MAX_COURSE_ARCHIVE_BYTES=1024 * 1024)
    before = counts()
    bomb = archive_with({"format": "mwanzo-course"}, {"media/lessons/x/zeros.ts": b"\0" * (3 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024  # small to send, three times the limit unpacked
    response = import_archive(client, bomb)
    assert response.status_code == 422 and "unpacks to more than 1 MB" in response.get_data(as_text=True)
    large = archive_with({"format": "mwanzo-course"}, {"media/lessons/x/noise.ts": os.urandom(1100 * 1024)})
    response = import_archive(client, large)
    assert response.status_code == 422 and "larger than 1 MB" in response.get_data(as_text=True)
    assert counts() == before


def test_another_instructors_course_cannot_be_duplicated_or_exported(client, original, make, login):
    login(make.instructor())
    assert client.post(f"/studio/courses/{original.id}/duplicate").status_code == 404
    assert client.post(f"/studio/courses/{original.id}/export").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    assert db.session.get(User, original.instructor_id) is not None


# ---------------------------------------------------------------- large archives: a job and its status page

def test_a_large_export_and_import_run_as_jobs_followed_on_a_status_page(client, original, make, login, settings):
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)  # every course here is "large"
    response = client.post(f"/studio/courses/{original.id}/export")
    assert response.status_code == 302 and "/studio/transfers/" in response.location
    status = client.get(response.location).get_data(as_text=True)  # the job ran once the request committed
    assert "Download the archive" in status and 'hx-trigger="every 2s"' not in status
    link = re.search(r'href="([^"]+)" download', status).group(1).replace("&amp;", "&")
    data = client.get(link).data
    assert zipfile.ZipFile(io.BytesIO(data)).read("manifest.json")
    fragment = client.get(response.location, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("<div id=\"transfer-status\"")

    importer = login(make.instructor())
    response = import_archive(client, data)
    assert response.status_code == 302 and "/studio/transfers/" in response.location
    assert "Open the imported draft" in client.get(response.location).get_data(as_text=True)
    imported = db.session.scalar(select(Course).where(Course.instructor_id == importer.id))
    assert outline(imported.id) == outline(original.id)
    assert_playable(client, imported.id)
    login(db.session.get(User, original.instructor_id))
    assert client.get(response.location).status_code == 404  # someone else's transfer


def test_a_large_import_that_fails_in_the_job_says_why_and_keeps_nothing(client, original, settings):
    data = exported(client, original)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        files = {name: archive.read(name) for name in archive.namelist() if name != "manifest.json"}
    manifest["sections"][1]["lessons"][0]["captions"][0]["cues"] = "many"  # found only while unpacking
    manifest["quizzes"][0]["questions"][0]["points"] = "many"
    settings(COURSE_TRANSFER_INLINE_BYTES=1000)
    before = counts()
    response = import_archive(client, archive_with(manifest, files))
    assert response.status_code == 302
    status = client.get(response.location).get_data(as_text=True)
    assert "unusable value for “points”" in status
    assert counts() == before
    transfer_id = response.location.rsplit("/", 1)[1]
    assert not list(get_storage().keys(f"transfers/{transfer_id}"))  # the uploaded archive went too
