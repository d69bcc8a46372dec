"""A course's questions: list and search, asking, the thread with its answers, votes, accepting, reporting.

Every page here is for signed-in people with access to the course (enrolled, its instructor, admins); the
rest get 404 from the service's NotFound. Posting is rate-limited per account and a repeat of the same text
within a minute is refused with 409.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.access import login_required
from mwanzo.discussions import services
from mwanzo.discussions.limits import posting_key, posting_limit
from mwanzo.discussions.forms import AnswerForm, QuestionForm, QuestionSearchForm, ReportForm
from mwanzo.discussions.models import ReportTarget
from mwanzo.extensions import db, limiter
from mwanzo.web.errors import render_error
from mwanzo.web.htmx import is_htmx, render
from mwanzo.web.listing import list_page, page_number

bp = Blueprint("discussions", __name__)


@bp.errorhandler(services.NotFound)
def not_found(_error):
    return render_error(404)


@bp.errorhandler(services.Duplicate)
def duplicate(_error):
    return render_error(409, _("You posted exactly this less than a minute ago; it is already there."))


@bp.errorhandler(services.Suspended)
def suspended(_error):
    return render_error(403, _("A moderator has stopped this account from posting."))


@bp.errorhandler(services.NotAllowed)
def not_allowed(_error):
    return render_error(403)


def thread_url(course, question, **values) -> str:
    return url_for("discussions.question_view", slug=course.slug, post_id=question.id, **values)


def lesson_of(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


@bp.route("/learn/<slug>/questions", methods=["GET", "POST"])
@login_required
@limiter.limit(posting_limit, key_func=posting_key, methods=["POST"])
def question_list(slug: str):
    course = services.talk_course(current_user, slug)
    lesson_id = lesson_of(request.args.get("lesson"))
    form = QuestionForm()
    if form.validate_on_submit():
        question = services.ask(current_user, course, form.title.data, form.body.data, lesson_id)
        db.session.commit()
        flash(_("Your question is posted. You will be told when someone answers."), "success")
        return redirect(thread_url(course, question))
    listing = list_page(QuestionSearchForm(request.args), results=lambda criteria, page: services.question_page(
        current_user, course, criteria["q"] or "", lesson_of(criteria["lesson"]), page))
    return render("discussions/question_list.html", "discussions/_questions.html",
                  422 if form.errors else listing.status, course=course, form=form, listing=listing,
                  q=listing.criteria["q"] or "", lesson_id=lesson_id, announcements=services.announcements(course.id))


@bp.route("/learn/<slug>/questions/<uuid:post_id>", methods=["GET", "POST"])
@login_required
@limiter.limit(posting_limit, key_func=posting_key, methods=["POST"])
def question_view(slug: str, post_id: uuid.UUID):
    """The thread; a POST adds an answer. To htmx (GET or POST) just the answers block, form included."""
    course = services.talk_course(current_user, slug)
    question = services.course_question(course, post_id)
    form = AnswerForm()
    if form.validate_on_submit():
        row = services.answer(current_user, course, question, form.body.data, thread_url(course, question))
        db.session.commit()
        if not is_htmx():
            flash(_("Your answer is posted."), "success")
            return redirect(thread_url(course, question, _anchor=f"answer-{row.id}"))
        form = AnswerForm(formdata=None)
    return render("discussions/question_view.html", "discussions/_answers.html", 422 if form.errors else 200,
                  course=course, thread=services.thread(current_user, course, question, page_number(request.args)),
                  form=form)


@bp.post("/learn/<slug>/questions/<uuid:post_id>/vote")
@login_required
def question_vote(slug: str, post_id: uuid.UUID):
    course = services.talk_course(current_user, slug)
    question = services.course_question(course, post_id)
    services.vote(current_user, question)
    db.session.commit()
    if is_htmx():
        return render_template("discussions/_vote.html", course=course, question=question, voted=True)
    return redirect(thread_url(course, question))


@bp.post("/learn/<slug>/questions/<uuid:post_id>/answers/<uuid:answer_id>/accept")
@login_required
def answer_accept(slug: str, post_id: uuid.UUID, answer_id: uuid.UUID):
    course = services.talk_course(current_user, slug)
    question = services.course_question(course, post_id)
    services.accept(current_user, course, question, answer_id, thread_url(course, question))
    db.session.commit()
    if is_htmx():
        return render("discussions/question_view.html", "discussions/_answers.html", course=course,
                      thread=services.thread(current_user, course, question), form=AnswerForm(formdata=None))
    flash(_("Answer accepted."), "success")
    return redirect(thread_url(course, question))


@bp.route("/learn/<slug>/report/<target>/<uuid:target_id>", methods=["GET", "POST"])
@login_required
def content_report(slug: str, target: str, target_id: uuid.UUID):
    """Report a question or an answer of this course (``target`` is "question" or "answer")."""
    course = services.talk_course(current_user, slug)
    if target not in ("question", "answer"):
        abort(404)
    kind = ReportTarget(target.upper())
    row, _course_id = services.reported_content(kind, target_id)
    if row is None or _course_id != course.id:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        services.report(current_user, course, kind, target_id, form.reason.data)
        db.session.commit()
        flash(_("Thank you. A moderator will look at it."), "success")
        question_id = row.id if kind == ReportTarget.QUESTION else row.question_id
        return redirect(url_for("discussions.question_view", slug=course.slug, post_id=question_id))
    return render_template("discussions/report.html", course=course, form=form, row=row, target=target,
                           action=url_for("discussions.content_report", slug=course.slug, target=target,
                                          target_id=row.id)), 422 if form.errors else 200


@bp.route("/courses/<slug>/reviews/<uuid:review_id>/report", methods=["GET", "POST"])
@login_required
def review_report(slug: str, review_id: uuid.UUID):
    """Reviews are public, so anyone signed in may report one of a course they can see."""
    course = services.review_course(current_user, slug)
    row, course_id = services.reported_content(ReportTarget.REVIEW, review_id)
    if row is None or course_id != course.id:
        abort(404)
    form = ReportForm()
    if form.validate_on_submit():
        services.report(current_user, course, ReportTarget.REVIEW, review_id, form.reason.data)
        db.session.commit()
        flash(_("Thank you. A moderator will look at it."), "success")
        return redirect(url_for("catalog.review_list", slug=course.slug))
    return render_template("discussions/report.html", course=course, form=form, row=row, target="review",
                           action=url_for("discussions.review_report", slug=course.slug, review_id=row.id)), \
        422 if form.errors else 200
