"""Extra time or attempts the instructor grants one learner: granted in the studio (owner only, audited),
enforced by the server."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.quizzes import services
from mwanzo.quizzes.models import QuizAllowance
from tests.quizzes.test_taking import answer_id, reload, start


@pytest.fixture
def timed(make):
    """A one-attempt, one-minute quiz of one question; its instructor and two enrolled learners."""
    instructor = make.instructor()
    course = make.course(instructor_id=instructor.id)
    quiz = make.quiz(course, max_attempts=1, time_limit_seconds=60, passing_score=100)
    make.question(quiz, text="Pick it")
    amina, brian = make.user(email="amina@example.com"), make.user(email="brian@example.com")
    for learner in (amina, brian):
        learning.enroll_free(learner, course)
    db.session.commit()
    return course, quiz, instructor, amina, brian


def grant(client, course, quiz, email, attempts="0", minutes="0"):
    return client.post(f"/studio/courses/{course.id}/quizzes/{quiz.id}/allowances",
                       data={"email": email, "extra_attempts": attempts, "extra_minutes": minutes})


def test_extra_attempts_let_one_learner_try_again(client, login, timed):
    course, quiz, instructor, amina, brian = timed
    for learner in (amina, brian):
        login(learner)
        client.post(f"/quizzes/attempts/{start(client, quiz).id}/submit")
        assert client.post(f"/quizzes/{quiz.id}/start").status_code == 409  # used up
    login(instructor)
    response = grant(client, course, quiz, "Amina@Example.com", attempts="2")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "amina@example.com" in page and "brian@example.com" not in page
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "quiz.allowance_granted"))
    assert entry.actor_id == instructor.id and entry.details["extra_attempts"] == 2

    login(amina)
    assert "2 attempts left" in client.get(f"/quizzes/{quiz.id}").text
    for _ in range(2):
        client.post(f"/quizzes/attempts/{start(client, quiz).id}/submit")
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 409  # 1 + 2, then no more
    login(brian)
    assert client.post(f"/quizzes/{quiz.id}/start").status_code == 409  # nobody else gained any


def test_extra_time_moves_the_deadline_set_by_the_server(client, login, timed):
    course, quiz, instructor, amina, brian = timed
    login(instructor)
    assert grant(client, course, quiz, "amina@example.com", minutes="10").status_code == 302
    login(amina)
    attempt = start(client, quiz)
    assert attempt.deadline_at == attempt.started_at + timedelta(seconds=60 + 600)
    # Five minutes pass on the server's clock: past the quiz's limit, within Amina's.
    attempt.started_at -= timedelta(minutes=5)
    attempt.deadline_at -= timedelta(minutes=5)
    db.session.commit()
    question = attempt.question_order[0]
    right = answer_id(services.quiz_with_questions(quiz.id).questions[0], "Right")
    assert client.post(f"/quizzes/attempts/{attempt.id}/submit", data={f"q-{question}": right}).status_code == 302
    attempt = reload(attempt)
    assert attempt.score == Decimal("100.00") and attempt.submitted_at < attempt.deadline_at
    login(brian)
    other = start(client, quiz)
    assert other.deadline_at == other.started_at + timedelta(seconds=60)  # the quiz's own limit


def test_extra_time_granted_during_an_attempt_applies_to_it(client, login, timed):
    course, quiz, instructor, amina, _brian = timed
    login(amina)
    attempt = start(client, quiz)
    login(instructor)
    grant(client, course, quiz, "amina@example.com", minutes="5")
    attempt = reload(attempt)
    assert attempt.deadline_at == attempt.started_at + timedelta(seconds=60 + 300)


def test_a_grant_needs_an_enrolled_learner_and_sane_numbers(client, login, make, timed):
    course, quiz, instructor, _amina, _brian = timed
    outsider = make.user(email="outsider@example.com")
    login(instructor)
    refused = grant(client, course, quiz, outsider.email, attempts="1")
    assert refused.status_code == 422 and "No learner enrolled in this course" in refused.text
    assert grant(client, course, quiz, "amina@example.com", attempts="-1").status_code == 422
    assert db.session.scalar(select(QuizAllowance.id)) is None


def test_only_the_courses_instructor_grants(client, login, make, timed):
    course, quiz, _instructor, amina, _brian = timed
    login(make.instructor())
    assert client.get(f"/studio/courses/{course.id}/quizzes/{quiz.id}/allowances").status_code == 404
    assert grant(client, course, quiz, "amina@example.com", attempts="3").status_code == 404
    login(amina)
    assert grant(client, course, quiz, "amina@example.com", attempts="3").status_code == 403
    assert db.session.scalar(select(QuizAllowance.id)) is None


def test_the_grant_form_needs_the_csrf_token(client, login, timed, csrf_enabled):
    course, quiz, instructor, _amina, _brian = timed
    login(instructor)
    assert grant(client, course, quiz, "amina@example.com", attempts="1").status_code == 400
