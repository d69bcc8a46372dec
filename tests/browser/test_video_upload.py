"""An instructor uploads a clip in Chromium and watches it go from upload to READY."""
from __future__ import annotations

import time

import pytest

from mwanzo import jobs
from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db
from tests.factories import PASSWORD
from tests.media.clips import make_clip

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("browser") / "lesson.mp4", seconds=10, size="480x272", rate=25)


def sign_in(page, user) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("header .menu a", has_text="My courses").wait_for(state="attached")


@pytest.fixture
def thread_runner(app, settings):
    settings(JOB_RUNNER="thread")
    yield
    jobs.wait_for_background_jobs(app, timeout=60)


def test_upload_shows_progress_until_ready(new_page, make, app, thread_runner, browser_clip):
    owner = make.instructor()
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None,
                         title="Counting stock")
    page = new_page()
    sign_in(page, owner)
    page.goto(f"/studio/lessons/{lesson.id}/edit")
    edit_url = page.url
    page.get_by_label("Video file").set_input_files(str(browser_clip))
    page.get_by_role("button", name="Upload video").click()

    seen = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        status = page.locator("#lesson-status").get_attribute("data-status")
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("READY", "FAILED"):
            break
        time.sleep(0.1)
    assert seen[-1] == "READY", seen
    assert "PROCESSING" in seen or "UPLOADED" in seen  # the polling fragment showed the job moving
    assert page.url == edit_url  # all of it happened in place, without a page load
    assert page.get_by_role("link", name="Preview").is_visible()
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).processing_status == ProcessingStatus.READY

    page.get_by_role("link", name="Preview").click()
    video = page.locator("video[data-player]")
    video.wait_for()
    assert "/master.m3u8" in video.get_attribute("data-src")


def test_upload_without_javascript_still_works(new_page, make, browser_clip):
    owner = make.instructor()
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    page = new_page(javascript=False)
    sign_in(page, owner)
    page.goto(f"/studio/lessons/{lesson.id}/edit")
    page.get_by_label("Video file").set_input_files(str(browser_clip))
    page.get_by_role("button", name="Upload video").click()
    page.get_by_text("Video uploaded").wait_for()
    assert page.locator("#lesson-status").get_attribute("data-status") == "READY"  # sync runner in tests
