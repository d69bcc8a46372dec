"""The lesson player in Chromium on a 360 px phone screen: play, switch to audio only, save, resume."""
import pytest
from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, VideoProgress
from tests.browser.helpers import eventually, log_in, open_menu_link, start_playing
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser


def no_sideways_scrolling(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


WITHOUT_NATIVE_HLS = """
const canPlayType = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
  return /mpegurl/i.test(type) ? "" : canPlayType.call(this, type);
};
"""
# With the offline worker on, a browser with MediaSource plays HLS through hls.js, so that the data meter
# counts it. The browser's own HLS player is for browsers without service workers (or without MediaSource, as
# iPhones; this Chromium's own HLS player needs it): so is this Chromium made.
WITHOUT_SERVICE_WORKERS = "delete Navigator.prototype.serviceWorker;"
PLAYS = {"native": WITHOUT_SERVICE_WORKERS, "hlsjs": WITHOUT_NATIVE_HLS}


@pytest.mark.parametrize("engine", ["native", "hlsjs"])
def test_preview_plays_switches_to_audio_only_and_resumes_where_it_stopped(page, make, engine):
    """This Chromium plays HLS itself: the player leaves HLS to it where no service worker runs, and
    otherwise fetches hls.js."""
    page.context.add_init_script(PLAYS[engine])
    learner = make.user()
    course = make.course()
    section = make.section(course)
    lesson = ready_video_lesson(section, title="Welcome video", is_preview=True)
    ready_video_lesson(section, title="Locked video")
    log_in(page, learner.email)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")

    video = page.locator("video")
    assert video.get_attribute("preload") == "none" and video.get_attribute("autoplay") is None
    page.wait_for_function("() => document.querySelector('video').dataset.current")
    assert video.get_attribute("data-engine") == engine
    assert any("hls.light" in url for url in requests) == (engine == "hlsjs")
    assert not any(".ts?" in url for url in requests)  # nothing downloaded before play
    start_playing(page)
    assert any("/hls/master.m3u8" in url for url in requests)
    assert any("/hls/144p/index.m3u8" in url or "/hls/240p/index.m3u8" in url for url in requests)
    assert any("/media/" in url and ".ts?" in url for url in requests)

    requests.clear()
    page.get_by_label("Quality").select_option(label=page.locator("option[data-quality=audio]").inner_text())
    page.wait_for_function("() => document.querySelector('video').dataset.current.endsWith('/hls/audio/index.m3u8')")
    page.wait_for_function("() => !document.querySelector('video').paused && document.querySelector('video').readyState >= 3")
    assert any("/hls/audio/index.m3u8" in url for url in requests)
    assert any("/audio/seg_" in url for url in requests)
    assert not any("/144p/seg_" in url or "/240p/seg_" in url for url in requests)

    page.get_by_label("Speed").select_option("1.5")
    assert page.evaluate("() => document.querySelector('video').playbackRate") == 1.5
    page.wait_for_function("() => document.querySelector('video').currentTime > 3", timeout=15_000)
    with page.expect_response(lambda r: r.url.endswith("/progress") and r.status == 204):
        page.evaluate("() => document.querySelector('video').pause()")
    saved = db.session.scalar(select(VideoProgress.position_seconds).where(VideoProgress.lesson_id == lesson.id))
    assert saved >= 3

    page.reload()
    assert video.get_attribute("data-start") == str(saved)
    page.wait_for_selector("video[data-ready]", state="attached")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function(f"() => document.querySelector('video').currentTime >= {saved}", timeout=15_000)
    no_sideways_scrolling(page)


def test_whole_learning_flow_on_a_phone(page, make):
    learner = make.user()
    course = make.course(title="Mobile money basics")
    section = make.section(course)
    video = ready_video_lesson(section, title="Sending money")
    reading = make.lesson(section, title="Safety tips", body_markdown="Never share your **PIN**.")
    log_in(page, learner.email)
    page.goto(f"/courses/{course.slug}")
    no_sideways_scrolling(page)
    page.get_by_role("button", name="Enrol for free").click()
    page.get_by_text("You are enrolled").wait_for()
    assert page.url.endswith(f"/learn/{course.slug}/lessons/{video.id}")
    no_sideways_scrolling(page)
    assert page.get_by_role("link", name="Download for offline").is_visible()
    start_playing(page)
    page.wait_for_function("() => document.querySelector('video').currentTime > 2", timeout=15_000)

    # Leaving the page mid-play saves the position on the way out (keepalive fetch on pagehide).
    page.get_by_role("link", name="Safety tips →").click()
    page.get_by_text("Never share your").wait_for()
    assert eventually(page, lambda: (db.session.scalar(select(VideoProgress.position_seconds)
                                                       .where(VideoProgress.lesson_id == video.id)) or 0) >= 2,
                      "the position saved on the way out")
    page.get_by_role("button", name="Mark complete").click()
    open_menu_link(page, "My learning")
    page.get_by_text("Continue where you left off").wait_for()
    no_sideways_scrolling(page)
    assert page.get_by_role("link", name="Mobile money basics").is_visible()
    assert page.locator("progress").get_attribute("value") == "50"
    assert db.session.scalar(select(Enrollment.progress_percent)) == 50
    assert reading.id in {row for row in db.session.scalars(select(VideoProgress.lesson_id)
                                                            .where(VideoProgress.completed.is_(True)))}
