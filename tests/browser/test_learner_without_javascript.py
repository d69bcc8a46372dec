"""A learner on a 360 px phone with JavaScript off finishes a video course and gets the certificate."""
import pytest
from sqlalchemy import select

from mwanzo.certificates.models import Certificate
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from tests.browser.helpers import eventually, log_in
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser


def signed_in_to_a_video_course(new_page, make, **account):
    """A learner enrolled in a one-lesson video course, signed in on a phone with JavaScript off."""
    learner = make.user(email="wanjiru@example.com", name="Wanjiru Kamau", **account)
    course = make.course(title="Selling on WhatsApp")
    lesson = ready_video_lesson(make.section(course), title="Your catalogue")
    learning.enroll_free(learner, course)
    db.session.commit()
    page = new_page(javascript=False)
    log_in(page, "wanjiru@example.com")
    return page, learner, course, lesson


def test_finish_a_video_course_without_javascript(new_page, make):
    page, learner, course, lesson = signed_in_to_a_video_course(new_page, make)
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert not page.get_by_label("Quality").is_visible() and not page.get_by_label("Speed").is_visible()

    page.get_by_role("button", name="I've watched this").click()  # before playing: not yet
    page.get_by_text("Keep watching").wait_for()

    box = page.locator("video").bounding_box()
    page.mouse.click(box["x"] + 24, box["y"] + box["height"] - 47)  # the browser's own play button
    eventually(page, lambda: db.session.scalar(select(VideoProgress.last_reported_at)),
               "the browser's request for the video")
    page.wait_for_timeout(2_000)  # a 6 s clip: 80 % is credited after 1.4 s at up to 2× speed
    page.get_by_role("button", name="I've watched this").click()
    page.get_by_text("Course complete! Here is your certificate.").wait_for()
    code = db.session.scalar(select(Certificate.verification_code).where(Certificate.student_id == learner.id))
    assert page.url.endswith(f"/certificates/{code}")
    assert page.get_by_role("link", name="Download PDF").is_visible()


def test_without_javascript_no_offline_part_shows_and_the_mp4_download_does(new_page, make):
    page, _learner, course, lesson = signed_in_to_a_video_course(new_page, make, locale="sw")
    assert page.get_by_role("heading", name="Masomo yangu").is_visible()  # the dashboard, in Kiswahili
    # The data meter and its limit live on the phone (scripts): without them a person sees none of it.
    assert not page.get_by_text("Data iliyotumika kwa masomo").is_visible()
    assert not page.get_by_role("button", name="Hifadhi kikomo").is_visible()
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert not page.get_by_role("button", name="Hifadhi somo hili").is_visible()
    assert page.get_by_role("link", name="Pakua").first.is_visible()
