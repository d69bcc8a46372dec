"""Captions and transcripts: the instructor's upload and its errors, the player's tracks (off until the learner
turns them on, remembered), the transcript under the video, transcript search, and who may see any of it."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from mwanzo.courses.models import LessonCaption
from mwanzo.extensions import db
from mwanzo.media import captions
from mwanzo.storage import get_storage
from tests.learning.media_fixtures import ready_video_lesson
from tests.learning.test_lesson_page import learner_in

VTT = ("WEBVTT\n\nNOTE written by hand\n\n1\n00:00:01.000 --> 00:00:04.000 align:start\n<v Amina>Karibu kwenye somo</v>\n\n"
       "00:04.500 --> 00:07.000\nToday: stock &amp; sales\nin one sheet\n")
SRT = ("1\r\n00:00:01,000 --> 00:00:03,500\r\nHabari za asubuhi\r\n\r\n"
       "2\r\n00:00:03,600 --> 00:00:06,000\r\nTunaanza na bei\r\n")


@pytest.fixture
def owner(make, login):
    return login(make.instructor())


def upload(client, lesson, data: bytes, language="en", filename="captions.vtt"):
    return client.post(f"/studio/lessons/{lesson.id}/captions",
                       data={"language": language, "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


# ---------------------------------------------------------------- parsing

def test_webvtt_cues_are_read_as_plain_text_without_notes_or_markup():
    cues = captions.parse(VTT.encode())
    assert [(c.start_ms, c.end_ms, c.text) for c in cues] == [
        (1000, 4000, "Karibu kwenye somo"), (4500, 7000, "Today: stock & sales in one sheet")]


def test_srt_is_converted_to_webvtt():
    vtt = captions.to_webvtt(captions.parse(SRT.encode()))
    assert vtt.startswith("WEBVTT\n") and "00:00:01.000 --> 00:00:03.500\nHabari za asubuhi" in vtt


@pytest.mark.parametrize("text, message", [
    ("WEBVTT\n\n00:00:01.000 --> 00:00:xx.000\nBad\n", "Line 3: “00:00:01.000 --> 00:00:xx.000” is not a timing"),
    ("WEBVTT\n\n00:00:05.000 --> 00:00:02.000\nBackwards\n", "Line 3: this caption ends before it starts."),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nFine\n\nNo timing here\n", "Line 6: a caption needs a timing line"),
    ("WEBVTT\n\n00:01:75.000 --> 00:01:80.000\nNo such second\n", "is not a timing"),
    ("WEBVTT\n", "This file holds no captions."),
])
def test_bad_timing_is_refused_naming_the_line(text, message):
    with pytest.raises(captions.InvalidCaptions, match=re.escape(message)):
        captions.parse(text.encode())


def test_text_that_is_not_utf8_is_refused():
    with pytest.raises(captions.InvalidCaptions, match="not UTF-8"):
        captions.parse("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nÇa marche\n".encode("latin-1"))


# ---------------------------------------------------------------- the instructor's upload

def test_instructor_uploads_captions_per_language_and_a_second_upload_replaces_the_first(client, make, owner):
    lesson = ready_video_lesson(make.section(make.draft_course(owner)), )
    response = upload(client, lesson, SRT.encode(), "sw", "somo.srt")
    assert response.status_code == 302
    first = db.session.scalar(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id,
                                                          LessonCaption.language == "sw"))
    with get_storage().open(first.key) as handle:
        assert handle.read().decode().startswith("WEBVTT")
    old_key = first.key
    assert upload(client, lesson, VTT.encode(), "sw").status_code == 302
    db.session.expire_all()
    rows = db.session.scalars(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id,
                                                          LessonCaption.language == "sw")).all()
    assert len(rows) == 1 and rows[0].cues[0][2] == "Karibu kwenye somo"
    assert not get_storage().exists(old_key)  # the replaced file went after the commit
    page = client.get(f"/studio/lessons/{lesson.id}/edit").get_data(as_text=True)
    assert "Kiswahili · 2 captions" in page


@pytest.mark.parametrize("data, filename, message", [
    (b"WEBVTT\n\n00:00:09.000 --> 00:00:02.000\nBackwards\n", "c.vtt", "Line 3: this caption ends before it starts."),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nÇa\n".encode("cp1252"), "c.vtt", "not UTF-8 text"),
    (b"WEBVTT\n" + b"x" * (1024 * 1024), "c.vtt", "larger than 1 MB"),
    (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nHi\n", "c.txt", "Choose a WebVTT (.vtt) or SubRip (.srt)"),
])
def test_a_bad_file_is_a_field_error_and_nothing_is_stored(client, make, owner, data, filename, message):
    lesson = ready_video_lesson(make.section(make.draft_course(owner)))
    response = upload(client, lesson, data, filename=filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(LessonCaption).where(LessonCaption.key.like("%/captions/%"))) is None


def test_another_instructors_lesson_answers_404_and_removal_deletes_the_file(client, make, owner):
    other = make.instructor()
    theirs = ready_video_lesson(make.section(make.draft_course(other)), )
    assert upload(client, theirs, VTT.encode()).status_code == 404
    mine = ready_video_lesson(make.section(make.draft_course(owner)))
    upload(client, mine, VTT.encode())
    key = db.session.scalar(select(LessonCaption.key).where(LessonCaption.lesson_id == mine.id,
                                                            LessonCaption.key.like("%/captions/%")))
    assert client.post(f"/studio/lessons/{mine.id}/captions/en/delete").status_code == 302
    assert db.session.scalar(select(LessonCaption).where(LessonCaption.key == key)) is None
    assert not get_storage().exists(key)


def test_the_upload_form_checks_csrf(client, make, owner, csrf_enabled):
    lesson = ready_video_lesson(make.section(make.draft_course(owner)))
    assert upload(client, lesson, VTT.encode()).status_code in (400, 422)
    assert db.session.scalar(select(LessonCaption).where(LessonCaption.key.like("%/captions/%"))) is None


# ---------------------------------------------------------------- the learner's side

def captioned_course(make, languages=("en", "sw"), preview=False):
    course = make.course()
    lesson = ready_video_lesson(make.section(course), is_preview=preview)
    db.session.execute(LessonCaption.__table__.delete().where(LessonCaption.lesson_id == lesson.id))
    for language in languages:
        text = SRT if language == "sw" else VTT
        captions.save_captions(lesson, language, io.BytesIO(text.encode()))
    db.session.commit()
    return course, lesson


def test_tracks_are_offered_off_by_default_and_the_learners_choice_is_remembered(client, login, make):
    course, lesson = captioned_course(make)
    learner = login(learner_in(make, course))
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page = client.get(url).get_data(as_text=True)
    tracks = re.findall(r"<track [^>]+>", page)
    assert len(tracks) == 2 and not any(" default" in t for t in tracks)
    assert 'srclang="sw" label="Kiswahili"' in page
    response = client.post(f"{url}/captions", data={"language": "sw"})
    db.session.refresh(learner)
    assert response.status_code == 302 and learner.captions_language == "sw"
    other = make.section(course)
    second = ready_video_lesson(other)
    captions.save_captions(second, "sw", io.BytesIO(SRT.encode()))
    db.session.commit()
    page = client.get(f"/learn/{course.slug}/lessons/{second.id}").get_data(as_text=True)
    assert re.search(r'<track [^>]*srclang="sw"[^>]* default>', page)  # remembered on every lesson
    assert client.post(f"{url}/captions", data={"language": "xx"}).status_code == 422
    client.post(f"{url}/captions", data={"language": ""})
    db.session.refresh(learner)
    assert learner.captions_language is None


def test_the_transcript_is_text_below_the_video_and_data_saver_points_to_it(client, login, make):
    course, lesson = captioned_course(make)
    login(learner_in(make, course, data_saver=True))
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    transcript = page[page.index('id="transcript"'):]
    assert page.index("<video") < page.index('id="transcript"')
    assert '<span class="meta">0:01</span> Karibu kwenye somo' in transcript
    assert "Data saver is on: read the transcript" in page
    swahili = client.get(f"/learn/{course.slug}/lessons/{lesson.id}?transcript=sw").get_data(as_text=True)
    assert "Habari za asubuhi" in swahili and "Karibu kwenye somo</p>" not in swahili


def test_a_long_transcript_is_paged_and_the_page_stays_small(client, login, make):
    import gzip

    course, lesson = captioned_course(make, languages=())
    long = "WEBVTT\n" + "".join(
        f"\n{captions.timestamp(i * 4000)} --> {captions.timestamp(i * 4000 + 3500)}\n"
        f"Sentensi namba {i} kuhusu hesabu za duka na bei za bidhaa sokoni leo.\n" for i in range(900))
    captions.save_captions(lesson, "en", io.BytesIO(long.encode()))
    db.session.commit()
    login(learner_in(make, course))
    first = client.get(f"/learn/{course.slug}/lessons/{lesson.id}")
    body = first.get_data(as_text=True)
    assert "Sentensi namba 0 " in body and "Sentensi namba 899 " not in body and "Continue reading" in body
    assert len(gzip.compress(first.get_data())) <= 14 * 1024
    pages = int(re.search(r"page 1 of (\d+)", body).group(1))
    last = client.get(f"/learn/{course.slug}/lessons/{lesson.id}?transcript=en&tpage={pages}").get_data(as_text=True)
    assert "Sentensi namba 899 " in last


def test_transcript_search_finds_the_line_and_links_to_it(client, login, make):
    course, lesson = captioned_course(make)
    login(learner_in(make, course))
    page = client.get(f"/learn/{course.slug}/transcripts?q=STOCK  %26 sales").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">[^<]+ · 0:04</a>', page)
    assert link and "transcript=en" in link.group(1) and link.group(1).endswith("#cue-1")
    assert "Today: stock &amp; sales in one sheet" in page
    assert "No lesson in this course says" in client.get(f"/learn/{course.slug}/transcripts?q=100%25").get_data(as_text=True)


def test_search_and_captions_follow_the_lesson_access_rules(client, login, make):
    course, lesson = captioned_course(make)
    login(make.user())  # not enrolled
    assert "No lesson in this course says" in client.get(f"/learn/{course.slug}/transcripts?q=karibu").get_data(as_text=True)
    assert client.post(f"/learn/{course.slug}/lessons/{lesson.id}/captions", data={"language": "en"}).status_code == 403
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert page.status_code == 302 and "Karibu" not in page.get_data(as_text=True)
    lesson.is_preview = True
    db.session.commit()
    assert "Karibu kwenye somo" in client.get(f"/learn/{course.slug}/transcripts?q=karibu").get_data(as_text=True)
    draft_course, draft_lesson = captioned_course(make)
    draft_course.status = draft_course.status.DRAFT
    db.session.commit()
    assert client.get(f"/learn/{draft_course.slug}/transcripts?q=karibu").status_code == 404


def test_deleting_the_lesson_deletes_its_captions(client, make, owner):
    lesson = ready_video_lesson(make.section(make.draft_course(owner)))
    upload(client, lesson, VTT.encode())
    key = db.session.scalar(select(LessonCaption.key).where(LessonCaption.key.like("%/captions/%")))
    assert client.post(f"/studio/lessons/{lesson.id}/delete").status_code == 302
    assert db.session.scalar(select(LessonCaption).where(LessonCaption.key == key)) is None
    assert not get_storage().exists(key)


def test_the_captions_choice_needs_its_csrf_token(client, login, make, csrf_enabled):
    course, lesson = captioned_course(make)
    learner = login(learner_in(make, course))
    response = client.post(f"/learn/{course.slug}/lessons/{lesson.id}/captions", data={"language": "sw"})
    assert response.status_code == 400
    db.session.refresh(learner)
    assert learner.captions_language is None


def test_transcript_search_costs_the_same_queries_however_many_lessons_match(client, login, make):
    from tests.queries import count_queries

    course, lesson = captioned_course(make)
    login(learner_in(make, course))
    with count_queries() as few:
        client.get(f"/learn/{course.slug}/transcripts?q=karibu")
    for _ in range(4):
        more = ready_video_lesson(make.section(course))
        captions.save_captions(more, "sw", io.BytesIO(VTT.encode()))
    db.session.commit()
    with count_queries() as many:
        page = client.get(f"/learn/{course.slug}/transcripts?q=karibu").get_data(as_text=True)
    assert page.count("Karibu kwenye somo") == 5 and len(many) == len(few)
