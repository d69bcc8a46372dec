"""What a phone asks for to work offline: the app's manifest and worker, a lesson's save plan (unsigned keys, the
sizes shown), which saved lessons it may keep, and its queue of offline changes, applied once each, in order."""
import uuid
from datetime import timedelta

from sqlalchemy import func, select

from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import release
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from mwanzo.offline.models import OfflineReceipt
from mwanzo.quizzes.models import Answer, QuizAttempt, StudentAnswer
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


def started_attempt(client, make, learner, course, time_limit_seconds=600):
    quiz = make.quiz(course, time_limit_seconds=time_limit_seconds)
    question = make.question(quiz, answers=[("*334#", True), ("*100#", False)])
    client.post(f"/quizzes/{quiz.id}/start")
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.quiz_id == quiz.id))
    return quiz, question, attempt


def choice(question, text: str) -> dict[str, list[str]]:
    answer = db.session.scalar(select(Answer).where(Answer.question_id == question.id, Answer.text == text))
    return {field_name(question): [str(answer.id)]}


def queued_answer(attempt, question, fields, **changes) -> dict:
    return {"id": str(uuid.uuid4()), "kind": "answer", "attempt_id": str(attempt.id),
            "question_id": str(question.id), "fields": fields, **changes}


def saved_choice(attempt) -> list:
    db.session.expire_all()
    return db.session.scalars(select(StudentAnswer.chosen_answer_ids).where(StudentAnswer.attempt_id == attempt.id)).all()


def test_quiz_answers_queued_offline_are_applied_once_in_order_whatever_the_replays(client, login, make):
    learner, course, _lesson = enrolled_video(make)
    login(learner)
    _quiz, question, attempt = started_attempt(client, make, learner, course)
    wrong = queued_answer(attempt, question, choice(question, "*100#"))
    right = queued_answer(attempt, question, choice(question, "*334#"))  # the learner changed their mind
    answer = client.post("/saved/queue", json={"items": [wrong, right]})
    assert answer.status_code == 200
    assert answer.get_json()["outcomes"] == {wrong["id"]: "applied", right["id"]: "applied"}
    # The phone did not hear back and sends its queue again, twice: nothing changes.
    for _ in range(2):
        again = client.post("/saved/queue", json={"items": [wrong, right]}).get_json()["outcomes"]
        assert again == {wrong["id"]: "duplicate", right["id"]: "duplicate"}
    assert saved_choice(attempt) == [choice(question, "*334#")[field_name(question)]]
    assert db.session.scalar(select(func.count()).select_from(OfflineReceipt)) == 2


def test_a_queued_answer_is_refused_by_the_rules_the_online_answer_follows(client, login, make):
    """Each change the online answer refuses (with its status) is refused in the queue, for good: the batch
    itself is answered 200, or the phone would keep a queue it can never send. A payload that is not a
    queue is a 400."""
    learner, course, _lesson = enrolled_video(make)
    login(learner)
    quiz, question, attempt = started_attempt(client, make, learner, course)
    right = choice(question, "*334#")
    other_quiz = make.quiz(course)
    foreign_question = make.question(other_quiz)
    stranger = make.user()
    strangers_attempt = QuizAttempt(quiz_id=quiz.id, student_id=stranger.id, started_at=attempt.started_at,
                                    deadline_at=attempt.deadline_at)
    db.session.add(strangers_attempt)
    db.session.commit()

    def online(attempt_id, question_id, fields):
        return client.post(f"/quizzes/attempts/{attempt_id}/answers/{question_id}", data=fields).status_code

    cases = {  # what the learner sent: (the online answer's status, the queued change)
        "someone else's attempt": (404, queued_answer(strangers_attempt, question, right)),
        "a question of another quiz": (422, queued_answer(attempt, foreign_question, right)),
        "an answer of another question": (422, queued_answer(attempt, question, {
            field_name(question): choice(foreign_question, "Right")[field_name(foreign_question)]})),
        "no such attempt": (404, {**queued_answer(attempt, question, right), "attempt_id": str(uuid.uuid4())}),
    }
    for name, (status, item) in cases.items():
        assert online(item["attempt_id"], item["question_id"], item["fields"]) == status, name
        assert client.post("/saved/queue", json={"items": [item]}).get_json()["outcomes"] == {item["id"]: "refused"}, name
    garbled = [queued_answer(attempt, question, "not fields"), {**queued_answer(attempt, question, right), "question_id": "x"}]
    outcomes = client.post("/saved/queue", json={"items": garbled}).get_json()["outcomes"]
    assert outcomes == {item["id"]: "refused" for item in garbled}
    assert saved_choice(attempt) == []

    # The time limit runs from the server's start time, whatever the phone's clock said when it was answered.
    late = queued_answer(attempt, question, right, answered_at=utcnow().isoformat())
    attempt.started_at -= timedelta(minutes=11)
    attempt.deadline_at = attempt.started_at + timedelta(minutes=10)
    db.session.commit()
    assert online(attempt.id, question.id, right) == 409
    assert client.post("/saved/queue", json={"items": [late]}).get_json()["outcomes"] == {late["id"]: "refused"}
    assert saved_choice(attempt) == []

    # Once the learner has no access to the course any more, the online answer is a 403; the queue refuses.
    learning.revoke_enrollment(learning.get_enrollment(learner.id, course.id))
    db.session.commit()
    item = queued_answer(attempt, question, right)
    assert online(attempt.id, question.id, right) == 403
    assert client.post("/saved/queue", json={"items": [item]}).get_json()["outcomes"] == {item["id"]: "refused"}

    for payload in ({"items": "one"}, {"items": [{}] * 501}, {"changes": [item]}):
        assert client.post("/saved/queue", json=payload).status_code == 400
    assert client.post("/saved/queue", data="not json", content_type="application/json").status_code == 400


def test_a_queued_answer_to_a_quiz_whose_section_closed_is_refused_as_online(client, login, make):
    learner, course, _lesson = enrolled_video(make)
    section = make.section(course)
    login(learner)
    quiz, question, attempt = started_attempt(client, make, learner, course)
    quiz.section_id = section.id
    release.set_section_rule(section, None, None, None, opens_at=utcnow() + timedelta(days=2))  # not open yet
    db.session.commit()
    right = choice(question, "*334#")
    assert client.post(f"/quizzes/attempts/{attempt.id}/answers/{question.id}", data=right).status_code == 403
    item = queued_answer(attempt, question, right)
    assert client.post("/saved/queue", json={"items": [item]}).get_json()["outcomes"] == {item["id"]: "refused"}
    assert saved_choice(attempt) == []
