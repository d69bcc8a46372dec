"""Quiz builder (course instructor, admins) under /studio, and quiz taking for enrolled learners."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.auth.access import login_required, role_required
from mwanzo.auth.models import Role
from mwanzo.certificates.services import live_certificate
from mwanzo.courses.access import course_owned_by_current_user
from mwanzo.courses.models import Course, Section
from mwanzo.extensions import db
from mwanzo.learning.services import has_access
from mwanzo.quizzes import services
from mwanzo.quizzes.forms import KIND_LABELS, QuestionForm, QuizSettingsForm
from mwanzo.quizzes.models import Quiz, QuizAttempt
from mwanzo.studio import revisions
from mwanzo.web.htmx import is_htmx, render

bp = Blueprint("quizzes", __name__)
builder = role_required(Role.INSTRUCTOR)


# ---------------------------------------------------------------- builder helpers

def owned_quiz(course_id: uuid.UUID, quiz_id: uuid.UUID) -> tuple[Course, Quiz]:
    course = course_owned_by_current_user(course_id)
    quiz = services.quiz_with_questions(quiz_id)
    if quiz is None or quiz.course_id != course.id:
        abort(404)
    return course, quiz


def course_sections(course_id: uuid.UUID) -> list[Section]:
    return list(db.session.scalars(
        select(Section).where(Section.course_id == course_id).order_by(Section.display_order)))


def builder_context(course: Course, quiz: Quiz, changes: dict) -> dict:
    """What the quiz builder's templates read: the draft under review where there is one, and the ids of
    this quiz and its questions that wait for review."""
    waiting = {str(question.id) for question in quiz.questions
               if revisions.is_new_question(changes, question) or str(question.id) in changes.get("questions", {})}
    if revisions.is_new(changes, "new_quizzes", quiz.id) or str(quiz.id) in changes.get("quizzes", {}):
        waiting.add(str(quiz.id))
    return {"course": course, "quiz": quiz, "kind_labels": KIND_LABELS, "waiting": waiting,
            "drafted": revisions.drafted(changes),
            "drafted_answers": lambda question: revisions.drafted_answers(changes, question)}


def questions_changed(course: Course, quiz: Quiz):
    """After a question change: the list fragment for HTMX (wherever the request came from), else back to the quiz."""
    if is_htmx():
        quiz = services.quiz_with_questions(quiz.id)
        response = render("quizzes/quiz_edit.html", "quizzes/_questions.html",
                          **builder_context(course, quiz, revisions.draft_changes(course.id)),
                          new_form=QuestionForm.for_new(fresh=True))
        response.headers["HX-Retarget"] = "#questions"
        response.headers["HX-Reswap"] = "outerHTML"
        return response
    return redirect(url_for("quizzes.quiz_edit", course_id=course.id, quiz_id=quiz.id) + "#questions")


# ---------------------------------------------------------------- builder

@bp.get("/studio/courses/<uuid:course_id>/quizzes")
@builder
def quiz_list(course_id: uuid.UUID):
    course = course_owned_by_current_user(course_id)
    changes = revisions.draft_changes(course.id)
    return render_template("quizzes/quiz_list.html", course=course, quizzes=services.course_quizzes(course.id),
                           drafted=revisions.drafted(changes), new_quizzes=changes.get("new_quizzes", {}))


@bp.route("/studio/courses/<uuid:course_id>/quizzes/new", methods=["GET", "POST"])
@builder
def quiz_create(course_id: uuid.UUID):
    course = course_owned_by_current_user(course_id)
    sections = course_sections(course.id)
    form = QuizSettingsForm(sections)
    if form.validate_on_submit():
        quiz = services.create_quiz(course, form.settings({str(s.id) for s in sections}), current_user)
        db.session.commit()
        flash(_("Quiz created. Now add its questions."), "success")
        return redirect(url_for("quizzes.quiz_edit", course_id=course.id, quiz_id=quiz.id))
    return render_template("quizzes/quiz_create.html", course=course, form=form), 422 if form.errors else 200


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>", methods=["GET", "POST"])
@builder
def quiz_edit(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    sections = course_sections(course.id)
    changes = revisions.draft_changes(course.id)
    form = QuizSettingsForm.from_quiz(sections, quiz, changes)
    if form.validate_on_submit():
        held = services.update_quiz(course, quiz, form.settings({str(s.id) for s in sections}), current_user)
        db.session.commit()
        flash(_("Quiz settings saved. The title and instructions wait for review.") if held
              else _("Quiz settings saved."), "success")
        return redirect(url_for("quizzes.quiz_edit", course_id=course.id, quiz_id=quiz.id))
    return render_template("quizzes/quiz_edit.html", **builder_context(course, quiz, changes), form=form,
                           new_form=QuestionForm.for_new(fresh=True)), 422 if form.errors else 200


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/delete")
@builder
def quiz_delete(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    services.delete_quiz(quiz)
    db.session.commit()
    flash(_("Quiz deleted."), "success")
    return redirect(url_for("quizzes.quiz_list", course_id=course.id))


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/new", methods=["GET", "POST"])
@builder
def question_create(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    form = QuestionForm.for_new()
    if form.validate_on_submit():
        services.add_question(course, quiz, form.draft(), current_user)
        db.session.commit()
        return questions_changed(course, quiz)
    return render("quizzes/question_form.html", "quizzes/_question_form.html", 422 if form.errors else 200,
                  course=course, quiz=quiz, form=form, question=None)


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>",
          methods=["GET", "POST"])
@builder
def question_edit(course_id: uuid.UUID, quiz_id: uuid.UUID, question_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    question = services.question_in_quiz(quiz, question_id) or abort(404)
    form = QuestionForm.from_question(question, revisions.draft_changes(course.id))
    if form.validate_on_submit():
        services.update_question(course, question, form.draft(), current_user)
        db.session.commit()
        return questions_changed(course, quiz)
    return render("quizzes/question_form.html", "quizzes/_question_form.html", 422 if form.errors else 200,
                  course=course, quiz=quiz, form=form, question=question)


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>/delete")
@builder
def question_delete(course_id: uuid.UUID, quiz_id: uuid.UUID, question_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    question = services.question_in_quiz(quiz, question_id) or abort(404)
    services.delete_question(question)
    db.session.commit()
    return questions_changed(course, quiz)


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>/move")
@builder
def question_move(course_id: uuid.UUID, quiz_id: uuid.UUID, question_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        abort(400)
    try:
        services.move_question(quiz, question_id, direction)
    except services.InvalidChoice:
        abort(404)
    db.session.commit()
    return questions_changed(course, quiz)


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
    certificate = live_certificate(current_user.id, course.id) if attempt.passed else None
    return render_attempt("quizzes/attempt_result.html", course, quiz, attempt, summary=summary,
                          revealed=services.answers_revealed(quiz, summary), certificate=certificate)
