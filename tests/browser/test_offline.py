"""Offline on a 360 px phone: the app installs, a lesson saved on Wi-Fi plays with the network off (from the start
and from a seek), what was done offline reaches the server once the connection is back, and a learner who lost
access loses their saved copies when the phone is next online."""
from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import func, select

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from mwanzo.offline.models import OfflineReceipt
from mwanzo.quizzes import services as quizzes
from mwanzo.quizzes.models import QuizAttempt, StudentAnswer
from mwanzo.web.filters import format_bytes
from mwanzo.web.security import content_security_policy
from tests.browser.helpers import log_in, seek_to, start_playing
from tests.browser.test_media_cache import NetworkLog
from tests.conftest import PHONE_VIEWPORT, chromium_path
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser


def wait_for_service_worker(page):
    """The worker is installed by the first page that asks; a page opened meanwhile may be left to the
    network: the next one is answered by the worker."""
    page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("() => !!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)


def saved_lessons(page) -> list[str]:
    return page.evaluate("() => caches.keys().then(names => names.filter(n => n.startsWith('mwanzo-saved-')))")


def save_lesson(page, quality):
    page.get_by_role("radio", name=quality).check()
    page.get_by_role("button", name="Save this lesson").click()
    page.get_by_text("Saved on this phone. It plays without a connection.").wait_for()


def enrolled_learner_with_video(make, title="Sending money"):
    learner = make.user()
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title=title)
    learning.enroll_free(learner, course)
    db.session.commit()
    return learner, course, lesson


def test_the_app_can_be_installed_and_its_service_worker_runs(browser, live_server, make, tmp_path):
    """Chromium never offers to install from a private window (every test tab is one), so this runs in a
    browser profile of its own, as on a phone."""
    learner = make.user()
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path), executable_path=chromium_path(), headless=True, base_url=live_server,
        viewport=PHONE_VIEWPORT, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
    try:
        page = context.pages[0] if context.pages else context.new_page()
        log_in(page, learner.email)
        page.goto("/dashboard")
        wait_for_service_worker(page)
        session = context.new_cdp_session(page)
        manifest = session.send("Page.getAppManifest")
        assert not manifest.get("errors"), manifest
        assert '"display":"standalone"' in manifest["data"].replace(" ", "")
        assert session.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        assert page.locator("[data-install]").is_hidden()  # never offered on the first visit

        second_visit = context.new_page()
        second_visit.goto("/dashboard")
        offer = second_visit.locator("[data-install]")
        offer.wait_for()
        offer.get_by_role("button", name="Not now").click()
        assert offer.is_hidden()
        third_visit = context.new_page()
        third_visit.goto("/dashboard")
        wait_for_service_worker(third_visit)
        assert third_visit.locator("[data-install]").is_hidden()  # offered once only
    finally:
        context.close()


def test_a_lesson_saved_at_144p_plays_offline_from_the_start_and_from_a_seek(page, make):
    learner, course, lesson = enrolled_learner_with_video(make)
    log_in(page, learner.email)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page.goto(url)
    wait_for_service_worker(page)
    save_lesson(page, "144p")
    assert saved_lessons(page) == [f"mwanzo-saved-{lesson.id}"]

    page.context.set_offline(True)
    page.goto(url)  # the page itself comes from the phone
    page.wait_for_selector("video[data-ready]", state="attached")
    assert page.locator("video").get_attribute("data-saved") == "144p"
    start_playing(page)
    seek_to(page, 4)
    page.evaluate("() => document.querySelector('video').pause()")
    page.get_by_text("Saved on this phone, will send when online.").wait_for()
    # A byte range of a kept file (what a media element asks for) is cut from the copy on the phone.
    segment = f"/media/{lesson.media_prefix}/144p/seg_001.ts"
    assert page.evaluate("(url) => fetch(url, {headers: {Range: 'bytes=10-109'}})"
                         ".then(r => r.arrayBuffer().then(b => [r.status, r.headers.get('Content-Range'), b.byteLength]))",
                         segment)[:3:2] == [206, 100]

    page.context.set_offline(False)
    page.get_by_text("Sent.").wait_for()
    db.session.expire_all()
    progress = db.session.scalar(select(VideoProgress).where(VideoProgress.student_id == learner.id))
    assert progress is not None and progress.position_seconds >= 4


def test_a_lesson_with_only_an_mp4_is_saved_as_that_mp4_and_plays_offline_with_seeking(page, make):
    learner, course, lesson = enrolled_learner_with_video(make)
    lesson.renditions = []  # uploaded before HLS, say: the MP4 download is all there is
    db.session.commit()
    log_in(page, learner.email)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page.goto(url)
    wait_for_service_worker(page)
    save_box = page.locator("[data-offline-save]")
    assert save_box.get_by_role("radio").count() == 0  # no quality to choose
    save_box.get_by_role("button", name=f"Save (MP4, {format_bytes(lesson.download_bytes)})").click()
    page.get_by_text("Saved on this phone. It plays without a connection.").wait_for()
    kept = f"/media/{lesson.download_key}"  # under its unsigned path, like a rung's segments
    assert page.evaluate("(key) => caches.match(key).then(hit => !!hit)", kept)

    page.context.set_offline(True)
    page.goto(url)
    page.wait_for_selector("video[data-ready]", state="attached")
    assert page.locator("video").get_attribute("data-saved") == "MP4"
    start_playing(page)
    seek_to(page, 4)
    assert page.evaluate("() => document.querySelector('video').currentSrc").endswith(kept)
    assert page.evaluate("(url) => fetch(url, {headers: {Range: 'bytes=1000-1999'}})"
                         ".then(r => r.arrayBuffer().then(b => [r.status, r.headers.get('Content-Range'), b.byteLength]))",
                         kept) == [206, f"bytes 1000-1999/{lesson.download_bytes}", 1000]


def test_a_revoked_learners_saved_lesson_stops_playing_once_the_phone_is_online(page, make):
    learner, course, lesson = enrolled_learner_with_video(make)
    log_in(page, learner.email)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page.goto(url)
    wait_for_service_worker(page)
    save_lesson(page, "Audio only")
    page.context.set_offline(True)
    learning.revoke_enrollment(learning.get_enrollment(learner.id, course.id))  # a refund, say
    db.session.commit()

    page.context.set_offline(False)  # the phone is online again, and the learner opens a page:
    page.goto("/dashboard")           # the worker asks what it may keep
    for _ in range(50):
        if not saved_lessons(page):
            break
        page.wait_for_timeout(200)
    assert not saved_lessons(page)
    page.context.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto(url)  # nothing of it is left on the phone


def test_a_quiz_answered_offline_is_scored_once_when_back_online(page, make):
    learner, course, _lesson = enrolled_learner_with_video(make)
    quiz = make.quiz(course, title="Money basics")
    make.question(quiz, text="Which number do you dial for M-Pesa?", answers=[("*334#", True), ("*100#", False)])
    timed = make.quiz(course, title="Timed check", time_limit_seconds=600)
    make.question(timed)
    log_in(page, learner.email)
    page.goto(f"/quizzes/{timed.id}")
    wait_for_service_worker(page)
    page.context.set_offline(True)
    page.get_by_text("This quiz is timed, so it cannot be taken offline").wait_for()
    assert page.get_by_role("button", name="Start the quiz").is_disabled()
    page.context.set_offline(False)

    page.goto(f"/quizzes/{quiz.id}")
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    page.context.set_offline(True)  # on the bus
    page.get_by_label("*334#").check()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("Saved on this phone, will send when online.").wait_for()
    assert db.session.scalar(select(QuizAttempt.submitted_at).where(QuizAttempt.quiz_id == quiz.id)) is None

    page.context.set_offline(False)
    page.get_by_role("heading", name="Your score: 100").wait_for()  # the phone goes on to the result
    page.reload()  # a page that loads asks the worker to send again: nothing is left to send
    page.get_by_role("heading", name="Your score: 100").wait_for()
    db.session.expire_all()
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)).all()
    assert len(attempts) == 1 and attempts[0].submitted_at is not None and attempts[0].passed
    assert db.session.scalar(select(func.count()).select_from(OfflineReceipt)) == 2  # the answer, the submission


@pytest.mark.parametrize("back_online", ["in time", "after the deadline"])
def test_a_timed_quiz_answered_offline_is_scored_by_the_servers_deadline(page, make, back_online):
    """The attempt was started online; the connection drops halfway. What reaches the server after the
    deadline (its start time + the limit + the learner's extra time) does not count."""
    learner, course, _lesson = enrolled_learner_with_video(make)
    timed = make.quiz(course, title="Timed check", time_limit_seconds=600)
    make.question(timed, text="Which number do you dial for M-Pesa?", answers=[("*334#", True), ("*100#", False)])
    make.question(timed, text="Which city is the capital?", answers=[("Nairobi", True), ("Mombasa", False)])
    quizzes.grant_allowance(timed, learner, extra_attempts=0, extra_minutes=2, granted_by=make.user())
    db.session.commit()
    log_in(page, learner.email)
    page.goto(f"/quizzes/{timed.id}")
    wait_for_service_worker(page)
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    page.wait_for_load_state()  # htmx set up: each answer is saved as it is ticked
    page.get_by_label("*334#").check()
    page.locator(".save-status", has_text="Saved").wait_for()
    page.context.set_offline(True)
    page.get_by_label("Nairobi").check()
    page.get_by_text("Saved on this phone, will send when online.").wait_for()
    page.get_by_role("button", name="Submit answers").click()
    page.wait_for_function("() => mwanzoOffline.ask({type: 'pending'}).then(n => n === 2)")
    assert page.get_by_text("Saved on this phone, will send when online.").is_visible()
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.quiz_id == timed.id))
    assert attempt.submitted_at is None
    assert db.session.scalar(select(func.count()).select_from(StudentAnswer)) == 1
    if back_online == "after the deadline":  # the bus ride outlasted the 10 minutes and the 2 extra
        attempt.started_at -= timedelta(minutes=13)
        attempt.deadline_at = attempt.started_at + timedelta(minutes=12)
        db.session.commit()

    page.context.set_offline(False)
    page.get_by_role("heading", name="Your score:").wait_for()  # the phone goes on to the result by itself
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    if back_online == "in time":
        assert attempt.score == 100 and attempt.passed
    else:
        assert attempt.score == 50 and not attempt.passed and attempt.submitted_at == attempt.deadline_at
        page.get_by_text("Time ran out: answers saved before the deadline were marked").wait_for()
    assert page.get_by_role("heading", name="Your score:").inner_text() == f"Your score: {int(attempt.score)} %"
    outcomes = db.session.scalars(select(OfflineReceipt.outcome).order_by(OfflineReceipt.created_at)).all()
    assert sorted(outcomes) == (["applied", "applied"] if back_online == "in time" else ["applied", "refused"])


def test_the_data_meter_counts_what_lessons_fetched_and_the_limit_starts_lessons_as_audio(page, make):
    learner, course, lesson = enrolled_learner_with_video(make)
    log_in(page, learner.email)
    page.goto("/dashboard")
    wait_for_service_worker(page)
    page.get_by_label("Monthly limit in MB").fill("0.1")
    page.get_by_role("button", name="Save limit").click()
    page.get_by_text("Limit saved on this phone.").wait_for()

    network = NetworkLog(page)  # Chromium's own account of the bytes it received, and what its cache answered
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page.goto(url)
    page.wait_for_selector("video[data-ready]", state="attached")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=30_000)
    received = network.transferred(".ts?") + network.transferred(".m3u8")

    page.goto("/dashboard")
    figures = page.locator("[data-meter-figures]")
    figures.wait_for()
    counted = int(figures.get_attribute("data-video-bytes"))
    assert received > 50_000 and abs(counted - received) <= received * 0.05, (counted, received)
    assert int(figures.get_attribute("data-page-bytes")) > 0
    assert "This month on this phone:" in figures.inner_text()

    page.goto(url)  # over the limit now: audio only, and video on request
    notice = page.locator("[data-over-limit]")
    notice.wait_for()
    assert page.locator("video").get_attribute("data-quality") == "audio"
    notice.get_by_role("button", name="Watch the video anyway").click()
    assert notice.is_hidden() and page.locator("video").get_attribute("data-quality") == "auto"


def test_a_whole_course_saved_is_listed_on_saved_on_this_phone_and_can_be_removed(page, make):
    learner = make.user()
    course = make.course()
    section = make.section(course)
    lesson = ready_video_lesson(section, title="Sending money")
    second = ready_video_lesson(section, title="Paying bills")
    learning.enroll_free(learner, course)
    db.session.commit()
    log_in(page, learner.email)
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    wait_for_service_worker(page)
    page.get_by_role("radio", name="240p").check()
    page.get_by_role("button", name="Save all 2 lessons").click()
    page.get_by_text("Saved on this phone. It plays without a connection.").wait_for()
    assert sorted(saved_lessons(page)) == sorted([f"mwanzo-saved-{lesson.id}", f"mwanzo-saved-{second.id}"])

    page.goto("/saved")
    rows = page.locator("ul.saved li")
    rows.nth(1).wait_for()
    assert sorted(rows.locator("a").all_inner_texts()) == ["Paying bills", "Sending money"]
    assert all(" MB · 240p · plays offline until " in text for text in rows.locator("[data-size]").all_inner_texts())
    assert "This browser uses" in page.locator("[data-estimate]").inner_text()

    page.context.set_offline(True)
    page.reload()  # the list itself opens without a connection
    rows.nth(1).wait_for()
    rows.filter(has_text="Paying bills").get_by_role("button", name="Remove").click()
    page.wait_for_function("() => document.querySelectorAll('ul.saved li').length === 1")
    assert saved_lessons(page) == [f"mwanzo-saved-{lesson.id}"]


def test_saving_can_be_cancelled_paused_and_resumed_without_fetching_twice(page, make):
    learner, course, lesson = enrolled_learner_with_video(make)
    log_in(page, learner.email)
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    wait_for_service_worker(page)
    held, fetched = [], []
    page.route("**/144p/seg_002.ts?*", lambda route: held.append(route))  # a slow segment: not answered yet
    page.on("request", lambda request: fetched.append(request.url) if ".ts?" in request.url else None)

    def save_until_held(count):
        page.get_by_role("button", name="Save this lesson").click()
        while len(held) < count:
            page.wait_for_timeout(100)

    page.get_by_role("radio", name="144p").check()
    save_until_held(1)
    page.get_by_role("button", name="Cancel").click()
    page.wait_for_function("() => caches.keys().then(names => !names.some(n => n.startsWith('mwanzo-saved-')))")
    assert saved_lessons(page) == []

    save_until_held(2)
    assert page.locator("[data-save-progress] progress").evaluate("bar => bar.value > 0")
    page.get_by_role("button", name="Pause").click()
    page.get_by_text("Paused.").wait_for()
    page.unroute("**/144p/seg_002.ts?*")
    fetched.clear()
    page.get_by_role("button", name="Resume").click()
    page.get_by_text("Saved on this phone. It plays without a connection.").wait_for()
    assert [url.split("?")[0].rsplit("/", 1)[1] for url in fetched] == ["seg_002.ts"]  # the rest was kept


def test_a_quiz_queued_offline_is_sent_by_background_sync_alone(page, make):
    """The browser wakes the worker with a `sync` event once it is online, even with no page of the app
    listening. Here the page's own `online` path is held back, the browser's first sync (as the connection
    returns) finds the learner signed out and fails, and the next one, dispatched through DevTools, sends."""
    learner, course, _lesson = enrolled_learner_with_video(make)
    quiz = make.quiz(course, title="Money basics")
    make.question(quiz, text="Which number do you dial for M-Pesa?", answers=[("*334#", True), ("*100#", False)])
    log_in(page, learner.email)
    page.goto(f"/quizzes/{quiz.id}")
    wait_for_service_worker(page)
    session = page.context.new_cdp_session(page)
    registrations, syncs = [], []
    session.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    session.on("BackgroundService.backgroundServiceEventReceived",
               lambda event: syncs.append(event["backgroundServiceEvent"]))
    session.send("ServiceWorker.enable")
    session.send("BackgroundService.setRecording", {"shouldRecord": True, "service": "backgroundSync"})
    session.send("BackgroundService.startObserving", {"service": "backgroundSync"})
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    page.evaluate("() => window.addEventListener('online', (event) => event.stopImmediatePropagation(), true)")
    page.context.set_offline(True)
    page.get_by_label("*334#").check()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("Saved on this phone, will send when online.").wait_for()
    page.wait_for_function("() => mwanzoOffline.ask({type: 'pending'}).then(n => n === 2)")  # answer, submission

    signed_in = page.context.cookies()
    page.context.clear_cookies()
    page.context.set_offline(False)
    while not any(event["eventName"].lower() == "sync event failed" for event in syncs):
        page.wait_for_timeout(100)
    failed = next(event for event in syncs if event["eventName"].lower() == "sync event failed")
    assert {"key": "Failure Reason", "value": "waitUntil rejected"} in failed["eventMetadata"]  # to be tried again
    assert page.evaluate("() => mwanzoOffline.ask({type: 'pending'})") == 2
    assert db.session.scalar(select(QuizAttempt.submitted_at).where(QuizAttempt.quiz_id == quiz.id)) is None

    page.context.add_cookies(signed_in)
    registration = next(r for r in registrations if not r["isDeleted"])
    session.send("ServiceWorker.dispatchSyncEvent", {"origin": registration["scopeURL"].rstrip("/"),
                                                     "registrationId": registration["registrationId"],
                                                     "tag": "mwanzo-queue", "lastChance": False})
    page.get_by_role("heading", name="Your score: 100").wait_for()
    assert page.evaluate("() => mwanzoOffline.ask({type: 'pending'})") == 0
    db.session.expire_all()
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id)).all()
    assert len(attempts) == 1 and attempts[0].submitted_at is not None and attempts[0].passed
    assert db.session.scalar(select(func.count()).select_from(OfflineReceipt)) == 2


SYNTHETIC_INSTALL_PROMPT = """() => {
  const offer = new Event('beforeinstallprompt', {cancelable: true});
  offer.prompt = () => { window.promptCalls = (window.promptCalls || 0) + 1; return Promise.resolve(); };
  window.dispatchEvent(offer);
}"""


@pytest.mark.parametrize("answer", ["Add to home screen", "Not now"])
def test_the_install_offer_prompts_on_add_and_never_comes_back(page, make, answer):
    """Chromium offers to install only in a profile of its own; here the offer is shown by an install event
    made in the page, whose prompt() records that it was called."""
    log_in(page, make.user().email)
    page.goto("/dashboard")  # the first visit
    wait_for_service_worker(page)
    second_visit = page.context.new_page()  # a new tab is a new browsing session: the second visit
    second_visit.goto("/dashboard")
    second_visit.evaluate(SYNTHETIC_INSTALL_PROMPT)
    offer = second_visit.locator("[data-install]")
    offer.get_by_role("button", name=answer).click()
    assert offer.is_hidden()
    assert second_visit.evaluate("() => window.promptCalls || 0") == (1 if answer == "Add to home screen" else 0)

    third_visit = page.context.new_page()
    third_visit.goto("/dashboard")
    third_visit.evaluate(SYNTHETIC_INSTALL_PROMPT)
    assert third_visit.locator("[data-install]").is_hidden()  # offered once only, whatever the answer
    assert third_visit.evaluate("() => window.promptCalls || 0") == 0


def test_an_admin_confirms_a_change_on_a_confirmation_page_the_service_worker_passed_on(page, make):
    """Admins sign in too, so the worker answers their pages: the confirmation page it passes on to the server
    (Sec-Fetch-Mode: navigate, Sec-Fetch-Dest: empty) is served, and its form carries out the change."""
    admin = make.user(role=Role.ADMIN)
    user = make.user(name="Baraka Otieno")
    db.session.commit()
    log_in(page, admin.email)
    page.goto(f"/admin/users/{user.id}")
    wait_for_service_worker(page)
    page.get_by_label("Role").select_option("INSTRUCTOR")
    with page.expect_response(lambda response: f"/admin/users/{user.id}/role?" in response.url) as opened:
        page.get_by_role("button", name="Change role").click()
    assert opened.value.status == 200 and opened.value.from_service_worker
    page.get_by_role("button", name="Yes, make this change").click()
    page.get_by_text("Saved and recorded in the audit log.").wait_for()
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.INSTRUCTOR


def played_to_the_end(page, url):
    page.goto(url)
    page.wait_for_selector("video[data-ready]", state="attached")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').ended", timeout=30_000)


def video_bytes_on_the_meter(page) -> int:
    page.goto("/dashboard")
    figures = page.locator("[data-meter-figures]")
    figures.wait_for()
    return int(figures.get_attribute("data-video-bytes"))


def bytes_served(app, monkeypatch, part: str) -> list[int]:
    """The body bytes the live server sent for URLs containing part: what a page's DevTools log cannot show
    for requests the service worker makes itself."""
    sent: list[int] = []
    inner = app.wsgi_app

    def counted(body):
        try:
            for chunk in body:
                sent.append(len(chunk))
                yield chunk
        finally:
            getattr(body, "close", lambda: None)()

    def measured(environ, start_response):
        body = inner(environ, start_response)
        return counted(body) if part in environ.get("PATH_INFO", "") else body

    monkeypatch.setattr(app, "wsgi_app", measured)
    return sent


@pytest.mark.parametrize("video", ["HLS", "MP4 only"])
def test_the_data_meter_counts_video_without_a_monthly_limit(page, make, app, monkeypatch, video):
    """Chromium plays HLS itself (canPlayType says "maybe"), out of the worker's sight: with no limit set the
    player still goes through hls.js, which counts what it fetches. An MP4 played by the media element is
    counted by the worker it passes through (the page's DevTools log sees only the worker's answer)."""
    learner, course, lesson = enrolled_learner_with_video(make)
    if video == "MP4 only":
        lesson.renditions = []
        db.session.commit()
    log_in(page, learner.email)
    page.goto("/dashboard")
    wait_for_service_worker(page)
    assert page.evaluate("() => localStorage.getItem('mwanzo-data-limit-mb')") is None

    network, mp4_sent = NetworkLog(page), bytes_served(app, monkeypatch, lesson.download_key)
    played_to_the_end(page, f"/learn/{course.slug}/lessons/{lesson.id}")
    if video == "HLS":
        assert page.locator("video").get_attribute("data-engine") == "hlsjs"
        received = network.transferred(".ts?") + network.transferred(".m3u8")
    else:
        assert page.locator("video").get_attribute("data-engine") == "mp4"
        received = sum(mp4_sent)
    counted = video_bytes_on_the_meter(page)
    assert received > 50_000 and abs(counted - received) <= received * 0.05, (counted, received)


POSTER_SHOWN = """() => { const image = new Image(); image.src = document.querySelector('video').poster;
  return image.decode().then(() => image.naturalWidth, () => 0); }"""


def send_the_policy_of_the_current_settings(app, monkeypatch):
    """The session app computed its Content-Security-Policy at start, for local media: send the one an app
    started with the s3 fixture's settings sends (the bucket's host allowed for images, media and fetches)."""
    policy, inner = content_security_policy(app.config), app.wsgi_app

    def with_policy(environ, start_response):
        def start(status, headers, *rest):
            headers = [(name, policy if name == "Content-Security-Policy" else value) for name, value in headers]
            return start_response(status, headers, *rest)
        return inner(environ, start)

    monkeypatch.setattr(app, "wsgi_app", with_policy)


def test_a_saved_lessons_poster_from_s3_shows_offline(s3, app, monkeypatch, page, make):
    """With media on S3 the page names its poster by a signed URL on the bucket's host, which the worker
    does not answer for: the saved copy shows the poster it kept, under its unsigned path. (s3 comes first:
    it is put back last, after the accessibility check page's teardown runs against the same storage.)"""
    send_the_policy_of_the_current_settings(app, monkeypatch)
    learner, course, lesson = enrolled_learner_with_video(make)
    log_in(page, learner.email)
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page.goto(url)
    wait_for_service_worker(page)
    assert page.locator("video").get_attribute("poster").startswith(s3.client.meta.endpoint_url)
    save_lesson(page, "144p")

    page.context.set_offline(True)
    page.goto(url)
    page.wait_for_selector("video[data-ready]", state="attached")
    assert page.locator("video").get_attribute("poster") == f"/media/{lesson.poster_key}"
    assert page.evaluate(POSTER_SHOWN) > 0


@pytest.mark.parametrize("other", ["MP4 only", "HLS"])
def test_save_all_lessons_from_a_lesson_with_only_an_mp4(page, make, other):
    """The lesson page has no quality to choose: its MP4 is kept, and so is every other lesson, each as its
    MP4 or, with rungs, at the smallest video quality."""
    learner = make.user()
    course = make.course()
    section = make.section(course)
    lesson = ready_video_lesson(section, title="Sending money")
    second = ready_video_lesson(section, title="Paying bills")
    lesson.renditions = []
    if other == "MP4 only":
        second.renditions = []
    learning.enroll_free(learner, course)
    db.session.commit()
    expected = lesson.download_bytes + (second.download_bytes if other == "MP4 only" else
                                        next(r["bytes"] for r in second.renditions if r["name"] == "144p"))
    log_in(page, learner.email)
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    wait_for_service_worker(page)
    page.get_by_role("button", name=f"Save all 2 lessons ({format_bytes(expected)})").click()
    page.get_by_text("Saved on this phone. It plays without a connection.").wait_for()
    assert sorted(saved_lessons(page)) == sorted([f"mwanzo-saved-{lesson.id}", f"mwanzo-saved-{second.id}"])

    page.context.set_offline(True)
    page.goto(f"/learn/{course.slug}/lessons/{second.id}")
    page.wait_for_selector("video[data-ready]", state="attached")
    assert page.locator("video").get_attribute("data-saved") == ("MP4" if other == "MP4 only" else "144p")
    start_playing(page)
