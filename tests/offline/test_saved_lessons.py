"""What a phone asks for to work offline: the app's manifest and worker, a lesson's save plan (unsigned keys, the
sizes shown), which saved lessons it may keep, and its queue of offline changes, applied once each, in order."""
import uuid

from sqlalchemy import func, select

from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from mwanzo.offline.models import OfflineReceipt
from mwanzo.quizzes.models import Answer, QuizAttempt
from mwanzo.quizzes.services import field_name
from tests.learning.media_fixtures import ready_video_lesson


def enrolled_video(make):
    learner = make.user()
    course = make.course()
    lesson = ready_video_lesson(make.section(course), title="Sending money")
    lesson.duration_seconds = 100
    learning.enroll_free(learner, course)
    db.session.commit()
    return learner, course, lesson


def test_the_manifest_names_the_app_and_the_worker_is_served_from_the_root(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone" and body["short_name"] == "Mwanzo" and body["start_url"].startswith("/")
    assert {icon["sizes"] for icon in body["icons"]} == {"any", "192x192", "512x512"}
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.mimetype == "text/javascript" and worker.headers["Cache-Control"] == "no-cache"
    csp = worker.headers["Content-Security-Policy"]
    assert "worker-src 'self'" in csp and "manifest-src 'self'" in csp


def test_a_save_plan_lists_the_rungs_files_under_unsigned_paths_with_signed_urls_to_fetch(client, login, make):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    plan = client.get(f"/learn/{course.slug}/lessons/{lesson.id}/saved.json?quality=144p").get_json()["lessons"][0]
    assert plan["quality"] == "144p"
    assert plan["bytes"] == next(r["bytes"] for r in lesson.renditions if r["name"] == "144p")
    segments = [f for f in plan["files"] if f["key"].endswith(".ts")]
    assert segments and all("/144p/" in f["key"] and "?" not in f["key"] and "sig=" in f["url"] for f in segments)
    playlist = client.get(plan["playlist"]).get_data(as_text=True)
    assert [line for line in playlist.splitlines() if line.endswith(".ts")] == [f["key"] for f in segments]
    for segment in segments:
        assert client.get(segment["url"]).status_code == 200

    # A whole course, at a rung a lesson lacks: its nearest one below.
    course_plan = client.get(f"/learn/{course.slug}/saved.json?quality=360p").get_json()["lessons"]
    assert [p["quality"] for p in course_plan] == ["240p"]


def test_only_learners_with_full_access_get_a_save_plan(client, login, make):
    _learner, course, lesson = enrolled_video(make)
    login(make.user())
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}/saved.json?quality=144p").status_code == 403
    assert client.get(f"/learn/{course.slug}/saved.json?quality=144p").status_code == 403
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}/saved/144p/index.m3u8").status_code == 403


def test_a_revoked_learner_may_keep_none_of_their_saved_lessons(client, login, make):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    other = uuid.uuid4()
    allowed = client.get(f"/saved/access.json?lesson={lesson.id}&lesson={other}").get_json()["lessons"]
    assert list(allowed) == [str(lesson.id)]
    learning.revoke_enrollment(learning.get_enrollment(learner.id, course.id))
    db.session.commit()
    assert client.get(f"/saved/access.json?lesson={lesson.id}").get_json()["lessons"] == {}


def test_the_offline_queue_is_applied_once_and_in_order(client, login, make):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    items = [{"id": first, "kind": "progress", "slug": course.slug, "lesson_id": str(lesson.id), "position": 20},
             {"id": second, "kind": "progress", "slug": course.slug, "lesson_id": str(lesson.id), "position": 35}]
    answer = client.post("/saved/queue", json={"items": items}).get_json()
    assert answer["outcomes"] == {first: "applied", second: "applied"}
    again = client.post("/saved/queue", json={"items": items}).get_json()
    assert again["outcomes"] == {first: "duplicate", second: "duplicate"}
    db.session.expire_all()
    assert db.session.scalar(select(VideoProgress.position_seconds).where(VideoProgress.student_id == learner.id)) == 35
    assert db.session.scalar(select(func.count()).select_from(OfflineReceipt)) == 2


def test_a_quiz_submitted_offline_is_scored_once_under_the_same_rules(client, login, make):
    learner, course, _lesson = enrolled_video(make)
    quiz = make.quiz(course)
    question = make.question(quiz)
    right = db.session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.is_correct))
    login(learner)
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.student_id == learner.id))
    item = {"id": str(uuid.uuid4()), "kind": "quiz", "attempt_id": str(attempt.id),
            "fields": {field_name(question): [str(right.id)]}}
    assert client.post("/saved/queue", json={"items": [item]}).get_json()["outcomes"] == {item["id"]: "applied"}
    assert client.post("/saved/queue", json={"items": [item]}).get_json()["outcomes"] == {item["id"]: "duplicate"}
    db.session.expire_all()
    attempt = db.session.get(QuizAttempt, attempt.id)
    assert attempt.submitted_at is not None and attempt.passed

    # Someone else's attempt is refused, and never retried.
    stranger = {**item, "id": str(uuid.uuid4())}
    login(make.user())
    assert client.post("/saved/queue", json={"items": [stranger]}).get_json()["outcomes"] == {stranger["id"]: "refused"}


def test_the_queue_needs_a_csrf_token(client, login, make, csrf_enabled):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    assert client.post("/saved/queue", json={"items": []}).status_code == 400


def test_without_scripts_nothing_offline_shows_and_the_mp4_download_stays(client, login, make):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    assert 'rel="manifest"' not in page and "/sw.js" not in page  # offline.js adds both
    assert "data-offline-save hidden" in page and "data-over-limit hidden" in page
    assert f"/learn/{course.slug}/lessons/{lesson.id}/download" in page


def test_the_words_scripts_show_come_translated_from_the_page(client, login, make):
    learner, course, lesson = enrolled_video(make)
    login(learner)
    client.post("/language", data={"lang": "sw"})
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    assert 'data-queued="Imehifadhiwa kwenye simu hii, itatumwa mtandao ukirudi."' in page
    assert "Hifadhi somo hili" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Mwezi huu kwenye simu hii: {video} za video, {pages} za kurasa." in dashboard
