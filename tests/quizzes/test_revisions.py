"""Quiz edits on a published course wait in its revision: learners take and are scored on the approved version."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.courses.models import CourseStatus, RevisionStatus
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.quizzes.models import Answer, AnswersShown, Question, Quiz, QuizAttempt
from tests.quizzes.test_builder import question_form
from tests.studio.test_revisions import decide, revision

OLD_TEXT = "Which stitch holds a hem best?"
NEW_TEXT = "Which <b>stitch</b> holds a seam best?"
ADDED_TEXT = "How many times do you measure?"


@pytest.fixture
def live_quiz(make):
    """A published course with a quiz of one question (Backstitch is right), an enrolled learner, its
    instructor (Swahili) and an admin."""
    instructor = make.instructor(email="wanjiru@example.com", locale="sw")
    course = make.course(instructor_id=instructor.id, title="Tailoring basics", slug="tailoring-basics", price=0)
    lesson = make.lesson(make.section(course, title="Getting started"), title="Measuring", body_markdown="Measure twice.")
    quiz = make.quiz(course, title="Stitches", passing_score=100, answers_shown=AnswersShown.IMMEDIATELY)
    question = make.question(quiz, text=OLD_TEXT, answers=[("Backstitch", True), ("Running stitch", False)])
    learner = make.user(email="brian@example.com")
    learning.enroll_free(learner, course)
    db.session.commit()
    return {"course": course, "lesson": lesson, "quiz": quiz, "question": question, "learner": learner, "instructor": instructor,
            "admin": make.user(role=Role.ADMIN)}


def builder_url(live_quiz) -> str:
    return f"/studio/courses/{live_quiz['course'].id}/quizzes/{live_quiz['quiz'].id}"


def propose_quiz_changes(client, login, live_quiz) -> None:
    """As the instructor, without JavaScript: the question's text and its correct answer change, and a
    question is added."""
    login(live_quiz["instructor"])
    edited = client.post(f"{builder_url(live_quiz)}/questions/{live_quiz['question'].id}", data=question_form(
        text=NEW_TEXT, answers=(("Backstitch", False), ("Running stitch", True)), explanation="", prefix=""))
    assert edited.status_code == 302
    added = client.post(f"{builder_url(live_quiz)}/questions/new", data=question_form(
        text=ADDED_TEXT, answers=(("Twice", True), ("Once", False)), explanation=""))
    assert added.status_code == 302


def take_quiz(client, login, live_quiz, picks: dict[str, str]) -> tuple[str, QuizAttempt]:
    """As the learner: start an attempt, read it, pick an answer by its text for each question text shown."""
    login(live_quiz["learner"])
    started = client.post(f"/quizzes/{live_quiz['quiz'].id}/start")
    assert started.status_code == 302
    attempt_id = uuid.UUID(started.headers["Location"].rsplit("/", 1)[-1])
    page = client.get(f"/quizzes/attempts/{attempt_id}").text
    choices = {}
    for question in db.session.scalars(select(Question).where(Question.quiz_id == live_quiz["quiz"].id)):
        answer = db.session.scalar(select(Answer.id).where(Answer.question_id == question.id,
                                                           Answer.text == picks.get(question.text, "")))
        if answer is not None:
            choices[f"q-{question.id}"] = str(answer)
    assert client.post(f"/quizzes/attempts/{attempt_id}/submit", data=choices).status_code == 302
    db.session.expire_all()
    return page, db.session.get(QuizAttempt, attempt_id)


def test_learners_take_and_are_scored_on_the_approved_quiz_until_the_admin_approves(client, login, live_quiz):
    login(live_quiz["learner"])
    assert client.post(f"/quizzes/{live_quiz['quiz'].id}/start").status_code == 302  # open while the edits come
    propose_quiz_changes(client, login, live_quiz)
    held = revision()
    assert held.status == RevisionStatus.PENDING

    # The learner (mid-attempt, then on a new one) reads and is scored on the approved question only.
    page, attempt = take_quiz(client, login, live_quiz, {OLD_TEXT: "Backstitch", NEW_TEXT: "Running stitch"})
    assert OLD_TEXT in page and "stitch</b>" not in page and "seam" not in page and ADDED_TEXT not in page
    assert (attempt.attempt_number, attempt.score, attempt.passed, len(attempt.question_order)) == (1, 100, True, 1)
    page, attempt = take_quiz(client, login, live_quiz, {OLD_TEXT: "Backstitch", NEW_TEXT: "Running stitch"})
    assert (attempt.attempt_number, attempt.score, len(attempt.question_order)) == (2, 100, 1) and ADDED_TEXT not in page
    assert "1 question" in client.get(f"/quizzes/{live_quiz['quiz'].id}").text

    # The instructor's builder shows the draft, waiting for review, in their language.
    login(live_quiz["instructor"])
    builder = client.get(builder_url(live_quiz)).text
    assert "Which &lt;b&gt;stitch&lt;/b&gt; holds a seam best?" in builder and ADDED_TEXT in builder
    assert "inasubiri ukaguzi" in builder
    form = client.get(f"{builder_url(live_quiz)}/questions/{live_quiz['question'].id}").text
    assert "Which &lt;b&gt;stitch&lt;/b&gt; holds a seam best?" in form

    # The admin reads old against new, escaped, and the new question.
    login(live_quiz["admin"])
    review = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert f"<del>- {OLD_TEXT}</del>" in review and "<ins>+ Which &lt;b&gt;stitch&lt;/b&gt; holds a seam best?</ins>" in review
    assert "<del>- [x] Backstitch</del>" in review and "<ins>+ [x] Running stitch</ins>" in review
    assert "<b>stitch" not in review and f"<ins>+ {ADDED_TEXT}</ins>" in review
    assert decide(client, held, "approve", {"version": held.version}).status_code == 302
    assert revision().status == RevisionStatus.APPROVED

    # The new version is live: the new text, the new correct answer and the added question.
    page, attempt = take_quiz(client, login, live_quiz, {NEW_TEXT: "Running stitch", ADDED_TEXT: "Twice"})
    assert "Which &lt;b&gt;stitch&lt;/b&gt; holds a seam best?" in page and ADDED_TEXT in page and OLD_TEXT not in page
    assert (attempt.score, attempt.passed, len(attempt.question_order)) == (100, True, 2)
    _page, wrong = take_quiz(client, login, live_quiz, {NEW_TEXT: "Backstitch", ADDED_TEXT: "Twice"})
    assert wrong.score == 50


def test_rejection_keeps_the_approved_quiz_and_the_instructors_draft(client, login, live_quiz):
    propose_quiz_changes(client, login, live_quiz)
    held = revision()
    login(live_quiz["admin"])
    assert decide(client, held, "reject", {"version": held.version, "reason": "Say seam or hem, not both."}
                  ).status_code == 302
    assert revision().status == RevisionStatus.REJECTED

    page, attempt = take_quiz(client, login, live_quiz, {OLD_TEXT: "Backstitch"})
    assert OLD_TEXT in page and ADDED_TEXT not in page and "seam" not in page
    assert (attempt.score, len(attempt.question_order)) == (100, 1)

    login(live_quiz["instructor"])
    builder = client.get(builder_url(live_quiz)).text
    assert "Which &lt;b&gt;stitch&lt;/b&gt; holds a seam best?" in builder and ADDED_TEXT in builder
    assert "inasubiri ukaguzi" in builder


def test_a_new_quiz_on_a_published_course_waits_for_review(client, login, live_quiz):
    course = live_quiz["course"]
    login(live_quiz["instructor"])
    created = client.post(f"/studio/courses/{course.id}/quizzes/new", data={
        "title": "Hems", "passing_score": "50", "is_required": "y", "answers_shown": "IMMEDIATELY"})
    assert created.status_code == 302
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == "Hems"))
    assert client.post(f"/studio/courses/{course.id}/quizzes/{quiz.id}/questions/new",
                       data=question_form(text=ADDED_TEXT)).status_code == 302
    assert "inasubiri ukaguzi" in client.get(f"/studio/courses/{course.id}/quizzes").text

    login(live_quiz["learner"])
    assert client.get(f"/quizzes/{quiz.id}").status_code == 404
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 404
    player = client.get(f"/learn/{course.slug}/lessons/{live_quiz['lesson'].id}").text
    assert "Stitches" in player and "Hems" not in player
    enrollment = learning.get_enrollment(live_quiz["learner"].id, course.id)
    assert learning.progress_counts(enrollment)[1] == 2  # the lesson and the approved quiz only

    held = revision()
    login(live_quiz["admin"])
    review = client.get(f"/admin/reviews/revisions/{held.id}").text
    assert "<ins>+ Hems</ins>" in review and ADDED_TEXT in review
    assert decide(client, held, "approve", {"version": held.version}).status_code == 302
    login(live_quiz["learner"])
    assert client.get(f"/quizzes/{quiz.id}").status_code == 200
    assert "Hems" in client.get(f"/learn/{course.slug}/lessons/{live_quiz['lesson'].id}").text
    db.session.expire_all()
    assert learning.progress_counts(enrollment)[1] == 3


def test_settings_apply_at_once_and_a_draft_course_edits_its_quiz_at_once(client, login, live_quiz, make):
    login(live_quiz["instructor"])
    saved = client.post(builder_url(live_quiz), data={
        "title": "Stitches <i>and seams</i>", "passing_score": "50", "max_attempts": "2", "is_required": "y",
        "answers_shown": "NEVER"})
    assert saved.status_code == 302
    db.session.expire_all()
    quiz = db.session.get(Quiz, live_quiz["quiz"].id)
    assert (quiz.title, quiz.passing_score, quiz.max_attempts) == ("Stitches", 50, 2)
    assert revision().changes["quizzes"][str(quiz.id)] == {"title": "Stitches <i>and seams</i>"}
    assert "Stitches &lt;i&gt;and seams&lt;/i&gt;" in client.get(builder_url(live_quiz)).text

    draft = make.course(instructor_id=live_quiz["instructor"].id, status=CourseStatus.DRAFT)
    draft_quiz = make.quiz(draft, title="Draft quiz")
    draft_question = make.question(draft_quiz, text=OLD_TEXT)
    base = f"/studio/courses/{draft.id}/quizzes/{draft_quiz.id}"
    assert client.post(base, data={"title": "Renamed", "passing_score": "70"}).status_code == 302
    assert client.post(f"{base}/questions/{draft_question.id}", data=question_form(
        text=NEW_TEXT, prefix="")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Quiz, draft_quiz.id).title == "Renamed"
    assert db.session.get(Question, draft_question.id).text == NEW_TEXT
    assert re.search("inasubiri ukaguzi", client.get(base).text) is None
