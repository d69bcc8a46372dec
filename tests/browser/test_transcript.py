"""A learner on data saver reads a lesson's transcript on a 360 px phone with JavaScript off."""
import io

import pytest

from mwanzo.extensions import db
from mwanzo.learning import services
from mwanzo.media import captions
from tests.browser.helpers import log_in
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser

VTT = "WEBVTT\n" + "".join(
    f"\n{captions.timestamp(i * 4000)} --> {captions.timestamp(i * 4000 + 3500)}\nLine {i}: count the stock"
    f"{' and write the price of sugar in the book' if i == 300 else ''}.\n" for i in range(400))


def signed_in_to_a_captioned_lesson(page, make, language: str, **learner_fields):
    """A video lesson with captions in ``language``, and an enrolled learner signed in on ``page``."""
    learner = make.user(**learner_fields)
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title="Stock book")
    captions.save_captions(lesson, language, io.BytesIO(VTT.encode()))
    services.enroll_free(learner, course)
    db.session.commit()
    log_in(page, learner.email)
    return course, lesson


def test_reading_and_searching_a_transcript_without_javascript(new_page, make):
    page = new_page(javascript=False)
    course, lesson = signed_in_to_a_captioned_lesson(page, make, "en", data_saver=True)
    media = []
    page.on("request", lambda request: media.append(request.url) if "/media/" in request.url and (
        ".ts" in request.url or ".mp4" in request.url) else None)

    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    page.get_by_role("link", name="Data saver is on: read the transcript instead of watching (a few KB).").click()
    transcript = page.locator("#transcript")
    assert transcript.get_by_text("Line 0: count the stock.").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert page.get_by_label("Captions").input_value() == ""  # off until the learner chooses

    page.get_by_label("Search what the lessons say").fill("price of SUGAR")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Stock book · 20:00").click()
    line = page.locator("#cue-300")
    line.wait_for()
    assert "write the price of sugar" in line.inner_text() and line.is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    assert "tpage=2" in page.url  # the line is on the second page of the transcript
    assert media == []  # nothing of the video was downloaded


def test_turning_captions_on_shows_them_and_the_choice_is_kept_on_the_next_visit(page, make):
    course, lesson = signed_in_to_a_captioned_lesson(page, make, "sw")
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    modes = "() => Array.from(document.querySelector('video').textTracks).map(t => t.language + ':' + t.mode)"
    assert "sw:showing" not in page.evaluate(modes)  # off by default
    with page.expect_response(lambda response: response.url.endswith("/captions") and response.status == 204):
        page.get_by_label("Captions").select_option("sw")
    assert page.evaluate(modes) == ["en:disabled", "sw:showing"]
    page.reload()
    assert page.get_by_label("Captions").input_value() == "sw"
    page.wait_for_function("() => Array.from(document.querySelector('video').textTracks).some("
                           "t => t.language === 'sw' && t.mode === 'showing')")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_the_captions_choice_belongs_to_the_learner_on_any_phone_and_not_to_others(new_page, make):
    """Chosen on one phone, the captions are on when the same learner opens the lesson on another; a second
    learner on the same lesson still starts with them off."""
    phone = new_page()
    course, lesson = signed_in_to_a_captioned_lesson(phone, make, "sw", email="amani@example.com")
    phone.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    with phone.expect_response(lambda response: response.url.endswith("/captions") and response.status == 204):
        phone.get_by_label("Captions").select_option("sw")
    other_phone = new_page()  # the same learner signs in on a second device: nothing carried over
    log_in(other_phone, "amani@example.com")
    other_phone.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert other_phone.get_by_label("Captions").input_value() == "sw"
    other_phone.wait_for_function("() => Array.from(document.querySelector('video').textTracks).some("
                                  "t => t.language === 'sw' && t.mode === 'showing')")

    someone_else = new_page()
    classmate = make.user()
    services.enroll_free(classmate, course)
    db.session.commit()
    log_in(someone_else, classmate.email)
    someone_else.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert someone_else.get_by_label("Captions").input_value() == ""
    assert "sw:showing" not in someone_else.evaluate(
        "() => Array.from(document.querySelector('video').textTracks).map(t => t.language + ':' + t.mode)")
    assert someone_else.evaluate("() => document.documentElement.scrollWidth") <= 360
