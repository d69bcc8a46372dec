"""Admin review of submitted courses: /admin/reviews (queue, learner's-eye review page, decisions)."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mwanzo.auth.access import role_required
from mwanzo.auth.models import Role
from mwanzo.catalog.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.studio import services
from mwanzo.studio.forms import ConfirmForm, RejectForm
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit
from mwanzo.web.errors import render_error
from mwanzo.web.nav import add_nav_link

bp = Blueprint("reviews", __name__, url_prefix="/admin/reviews")
add_nav_link((Role.ADMIN,), "reviews.review_queue", _l("Reviews"))


@bp.before_request
@role_required(Role.ADMIN)
def guard():
    """Admins only."""


@bp.errorhandler(services.NotFound)
def not_found(_error):
    return render_error(404)


@bp.get("/")
def review_queue():
    return render_template("admin/review_queue.html", courses=services.review_queue())


@bp.get("/<uuid:course_id>")
def review_detail(course_id: uuid.UUID):
    course = services.course_for_editor(current_user, course_id, with_curriculum=True)
    lessons = [lesson for section in course.sections for lesson in section.lessons]
    wanted = request.args.get("lesson")
    current = next((lesson for lesson in lessons if str(lesson.id) == wanted), lessons[0] if lessons else None)
    return render_template("admin/review_detail.html", course=course, lesson=current,
                           history=services.course_history(course.id))


def decision_page(course_id: uuid.UUID, decision: str, reject_form: RejectForm | None = None, status: int = 200):
    """Approve or reject asks on a page of its own, whose form alone carries the confirmation token."""
    require_page_visit()
    course = services.course_for_editor(current_user, course_id)
    if course.status != CourseStatus.PENDING_REVIEW:
        abort(409)
    return render_template("admin/review_decision.html", course=course, decision=decision,
                           reject_form=reject_form or RejectForm(), token=confirmation_token(decision, course.id)), status


@bp.get("/<uuid:course_id>/approve")
def review_approve_confirm(course_id: uuid.UUID):
    return decision_page(course_id, "approve")


@bp.post("/<uuid:course_id>/approve")
def review_approve(course_id: uuid.UUID):
    course = services.course_for_editor(current_user, course_id)
    if not ConfirmForm().validate():
        abort(400)
    require_confirmation("approve", course.id)
    try:
        services.approve(course, current_user)
    except services.InvalidTransition:
        abort(409)
    db.session.commit()
    flash(_("“%(title)s” is published and the instructor has been emailed.", title=course.title), "success")
    return redirect(url_for("reviews.review_queue"))


@bp.get("/<uuid:course_id>/reject")
def review_reject_confirm(course_id: uuid.UUID):
    return decision_page(course_id, "reject")


@bp.post("/<uuid:course_id>/reject")
def review_reject(course_id: uuid.UUID):
    course = services.course_for_editor(current_user, course_id)
    require_confirmation("reject", course.id)
    form = RejectForm()
    if not form.validate():
        return decision_page(course_id, "reject", form, 422)
    try:
        services.reject(course, current_user, form.reason.data)
    except services.InvalidTransition:
        abort(409)
    db.session.commit()
    flash(_("“%(title)s” was sent back to the instructor with your reason.", title=course.title), "success")
    return redirect(url_for("reviews.review_queue"))
