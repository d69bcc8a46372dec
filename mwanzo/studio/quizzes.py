"""The quiz builder of the studio: /studio/courses/<id>/quizzes... and the course's question bank
/studio/courses/<id>/bank (the course's instructor, admins), and the extra time or attempts granted to one
learner (/studio/courses/<id>/quizzes/<id>/allowances). The rules are in mwanzo/quizzes/services.py; the
templates are the quiz domain's (templates/quizzes/)."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.courses.access import owned_course
from mwanzo.courses.models import Course, Section
from mwanzo.extensions import db
from mwanzo.quizzes import services
from mwanzo.learning.services import enrolled_learner
from mwanzo.quizzes.forms import AllowanceForm, QuestionForm, QuizSettingsForm
from mwanzo.quizzes.models import Question, Quiz
from mwanzo.courses import revisions
from mwanzo.studio.views import bp
from mwanzo.web.htmx import is_htmx, render


# ---------------------------------------------------------------- builder helpers

def owned_quiz(course_id: uuid.UUID, quiz_id: uuid.UUID) -> tuple[Course, Quiz]:
    """The course and its quiz with the questions; 404 for a quiz of another course, or another's course."""
    course = owned_course(course_id)
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
    return {"course": course, "quiz": quiz, "questions": quiz.questions, "waiting": waiting,
            "drafted": revisions.drafted(changes),
            "drafted_answers": lambda question: revisions.drafted_answers(changes, question)}


def bank_context(course: Course, changes: dict) -> dict:
    """What the question bank's templates read (the quiz builder's names, with no quiz)."""
    questions = services.bank_questions(course.id)
    waiting = {str(question.id) for question in questions
               if revisions.is_new_question(changes, question) or str(question.id) in changes.get("questions", {})}
    return {"course": course, "quiz": None, "questions": questions, "waiting": waiting,
            "drafted": revisions.drafted(changes),
            "drafted_answers": lambda question: revisions.drafted_answers(changes, question)}


def questions_changed(course: Course, quiz: Quiz | None):
    """After a question change: the list fragment for HTMX (wherever the request came from), else back to
    the quiz or the bank."""
    if not is_htmx():
        if quiz is None:
            return redirect(url_for("studio.bank_view", course_id=course.id) + "#questions")
        return redirect(url_for("studio.quiz_edit", course_id=course.id, quiz_id=quiz.id) + "#questions")
    changes = revisions.draft_changes(course.id)
    if quiz is None:
        response = render("quizzes/bank_view.html", "quizzes/_questions.html", **bank_context(course, changes),
                          new_form=QuestionForm.for_new(fresh=True))
    else:
        quiz = services.quiz_with_questions(quiz.id)
        response = render("quizzes/quiz_edit.html", "quizzes/_questions.html",
                          **builder_context(course, quiz, changes), new_form=QuestionForm.for_new(fresh=True))
    response.headers["HX-Retarget"] = "#questions"
    response.headers["HX-Reswap"] = "outerHTML"
    return response


def question_form(course: Course, quiz: Quiz | None, question: Question | None):
    """Add (``question`` None) or edit a question of a quiz or (``quiz`` None) of the course's bank: the form
    again with 422 when it is invalid."""
    if question is None:
        form = QuestionForm.for_new()
    else:
        form = QuestionForm.from_question(question, revisions.draft_changes(course.id))
    if form.validate_on_submit():
        if question is None:
            services.add_question(course, quiz, form.draft(), current_user)
        else:
            services.update_question(course, question, form.draft(), current_user)
        db.session.commit()
        return questions_changed(course, quiz)
    return render("quizzes/question_form.html", "quizzes/_question_form.html", 422 if form.errors else 200,
                  course=course, quiz=quiz, form=form, question=question)


# ---------------------------------------------------------------- builder

@bp.get("/studio/courses/<uuid:course_id>/quizzes")
def quiz_list(course_id: uuid.UUID):
    course = owned_course(course_id)
    changes = revisions.draft_changes(course.id)
    return render_template("quizzes/quiz_list.html", course=course, quizzes=services.course_quizzes(course.id),
                           drafted=revisions.drafted(changes), new_quizzes=changes.get("new_quizzes", {}))


@bp.route("/studio/courses/<uuid:course_id>/quizzes/new", methods=["GET", "POST"])
def quiz_create(course_id: uuid.UUID):
    course = owned_course(course_id)
    sections = course_sections(course.id)
    form = QuizSettingsForm(sections)
    if form.validate_on_submit():
        quiz = services.create_quiz(course, form.settings({str(s.id) for s in sections}), current_user)
        db.session.commit()
        flash(_("Quiz created. Now add its questions."), "success")
        return redirect(url_for("studio.quiz_edit", course_id=course.id, quiz_id=quiz.id))
    return render_template("quizzes/quiz_create.html", course=course, form=form), 422 if form.errors else 200


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>", methods=["GET", "POST"])
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
        return redirect(url_for("studio.quiz_edit", course_id=course.id, quiz_id=quiz.id))
    return render_template("quizzes/quiz_edit.html", **builder_context(course, quiz, changes), form=form,
                           new_form=QuestionForm.for_new(fresh=True)), 422 if form.errors else 200


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/delete")
def quiz_delete(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    services.delete_quiz(quiz)
    db.session.commit()
    flash(_("Quiz deleted."), "success")
    return redirect(url_for("studio.quiz_list", course_id=course.id))


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/new", methods=["GET", "POST"])
def question_create(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    return question_form(course, quiz, None)


@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>",
          methods=["GET", "POST"])
def question_edit(course_id: uuid.UUID, quiz_id: uuid.UUID, question_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    return question_form(course, quiz, services.question_in_quiz(quiz, question_id) or abort(404))


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>/delete")
def question_delete(course_id: uuid.UUID, quiz_id: uuid.UUID, question_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    question = services.question_in_quiz(quiz, question_id) or abort(404)
    services.delete_question(question)
    db.session.commit()
    return questions_changed(course, quiz)


@bp.post("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/questions/<uuid:question_id>/move")
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


# ---------------------------------------------------------------- the course's question bank

@bp.get("/studio/courses/<uuid:course_id>/bank")
def bank_view(course_id: uuid.UUID):
    course = owned_course(course_id)
    return render_template("quizzes/bank_view.html", **bank_context(course, revisions.draft_changes(course.id)),
                           new_form=QuestionForm.for_new(fresh=True))


@bp.route("/studio/courses/<uuid:course_id>/bank/questions/new", methods=["GET", "POST"])
def bank_question_create(course_id: uuid.UUID):
    return question_form(owned_course(course_id), None, None)


@bp.route("/studio/courses/<uuid:course_id>/bank/questions/<uuid:bank_question_id>", methods=["GET", "POST"])
def bank_question_edit(course_id: uuid.UUID, bank_question_id: uuid.UUID):
    course = owned_course(course_id)
    return question_form(course, None, services.question_in_bank(course.id, bank_question_id) or abort(404))


@bp.post("/studio/courses/<uuid:course_id>/bank/questions/<uuid:bank_question_id>/delete")
def bank_question_delete(course_id: uuid.UUID, bank_question_id: uuid.UUID):
    course = owned_course(course_id)
    services.delete_question(services.question_in_bank(course.id, bank_question_id) or abort(404))
    db.session.commit()
    return questions_changed(course, None)


# ---------------------------------------------------------------- extra time and attempts for one learner

@bp.route("/studio/courses/<uuid:course_id>/quizzes/<uuid:quiz_id>/allowances", methods=["GET", "POST"])
def quiz_allowances(course_id: uuid.UUID, quiz_id: uuid.UUID):
    course, quiz = owned_quiz(course_id, quiz_id)
    form = AllowanceForm()
    if form.validate_on_submit():
        student = enrolled_learner(course, form.email.data)
        if student is None:
            form.email.errors.append(_("No learner enrolled in this course has this email address."))
        else:
            services.grant_allowance(quiz, student, form.extra_attempts.data or 0, form.extra_minutes.data or 0,
                                     current_user)
            db.session.commit()
            flash(_("Extra time and attempts saved."), "success")
            return redirect(url_for("studio.quiz_allowances", course_id=course.id, quiz_id=quiz.id))
    return render_template("quizzes/quiz_allowances.html", course=course, quiz=quiz, form=form,
                           allowances=services.allowances_with_learners(quiz)), 422 if form.errors else 200
