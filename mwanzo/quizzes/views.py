"""Quiz taking for enrolled learners. The quiz builder is part of the studio (mwanzo/studio/quizzes.py)."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.access import login_required
from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.learning.services import has_access
from mwanzo.quizzes import services
from mwanzo.quizzes.forms import KIND_LABELS
from mwanzo.quizzes.models import Quiz, QuizAttempt

bp = Blueprint("quizzes", __name__)


# ---------------------------------------------------------------- taking

def learner_quiz(quiz_id: uuid.UUID) -> tuple[Course, Quiz]:
    quiz = services.quiz_for_learner(quiz_id)
    if quiz is None:
        abort(404)
    course = db.session.get(Course, quiz.course_id)
    if not has_access(current_user, course):
        abort(403, _("Enrol in this course to take its quizzes."))
    return course, quiz


def own_attempt(attempt_id: uuid.UUID) -> tuple[Course, Quiz, QuizAttempt]:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.student_id != current_user.id:
        abort(404)
    course, quiz = learner_quiz(attempt.quiz_id)
    return course, quiz, attempt


def render_attempt(template: str, course: Course, quiz: Quiz, attempt: QuizAttempt, **context):
    return render_template(template, course=course, quiz=quiz, attempt=attempt,
                           shown=services.attempt_questions(quiz, attempt), saved=services.saved_answers(attempt),
                           **context)


@bp.get("/quizzes/<uuid:quiz_id>")
@login_required
def quiz_detail(quiz_id: uuid.UUID):
    course, quiz = learner_quiz(quiz_id)
    services.settle_attempts(quiz, current_user)
    db.session.commit()
    return show_quiz(course, quiz.id)


def show_quiz(course: Course, quiz_id: uuid.UUID, status: int = 200):
    quiz = services.quiz_for_learner(quiz_id)  # loaded with its questions after the commit
    return render_template("quizzes/quiz_detail.html", course=course, quiz=quiz,
                           summary=services.summary_for(quiz, current_user)), status


@bp.post("/quizzes/<uuid:quiz_id>/start")
@login_required
def attempt_start(quiz_id: uuid.UUID):
    course, quiz = learner_quiz(quiz_id)
    if not quiz.questions:
        abort(409, _("This quiz has no questions yet."))
    try:
        attempt = services.start_attempt(quiz, current_user)
    except services.AttemptsExhausted:
        db.session.commit()  # attempts whose time ran out were scored on the way
        flash(_("You have used all your attempts for this quiz."), "error")
        return show_quiz(course, quiz.id, 409)
    db.session.commit()
    return redirect(url_for("quizzes.attempt_view", attempt_id=attempt.id))


@bp.get("/quizzes/attempts/<uuid:attempt_id>")
@login_required
def attempt_view(attempt_id: uuid.UUID):
    course, quiz, attempt = own_attempt(attempt_id)
    if attempt.submitted_at is not None or services.is_expired(attempt):
        return redirect(url_for("quizzes.attempt_result", attempt_id=attempt.id))
    return render_attempt("quizzes/attempt_view.html", course, quiz, attempt,
                          remaining=services.seconds_left(attempt), kind_labels=KIND_LABELS)


@bp.post("/quizzes/attempts/<uuid:attempt_id>/answers/<uuid:question_id>")
@login_required
def answer_save(attempt_id: uuid.UUID, question_id: uuid.UUID):
    _course, quiz, attempt = own_attempt(attempt_id)
    try:
        services.save_answer(quiz, attempt, question_id, request.form.getlist(f"q-{question_id}"))
    except services.AttemptClosed:
        abort(409, _("Time is up for this attempt."))
    except services.InvalidChoice:
        abort(422)
    db.session.commit()
    return render_template("quizzes/_saved.html")


@bp.post("/quizzes/attempts/<uuid:attempt_id>/submit")
@login_required
def attempt_submit(attempt_id: uuid.UUID):
    _course, quiz, attempt = own_attempt(attempt_id)
    choices = {key[2:]: request.form.getlist(key) for key in request.form if key.startswith("q-")}
    try:
        services.submit_attempt(quiz, attempt, choices)
    except services.InvalidChoice:
        abort(422)
    db.session.commit()
    return redirect(url_for("quizzes.attempt_result", attempt_id=attempt.id))


@bp.get("/quizzes/attempts/<uuid:attempt_id>/result")
@login_required
def attempt_result(attempt_id: uuid.UUID):
    course, quiz, attempt = own_attempt(attempt_id)
    services.settle_attempts(quiz, current_user)  # this attempt too, if its time ran out
    if attempt.submitted_at is None:
        return redirect(url_for("quizzes.attempt_view", attempt_id=attempt.id))
    db.session.commit()
    quiz = services.quiz_for_learner(quiz.id)  # reloaded with its questions after the commit
    summary = services.summary_for(quiz, current_user)
    return render_attempt("quizzes/attempt_result.html", course, quiz, attempt, summary=summary,
                          revealed=services.answers_revealed(quiz, summary))
