"""Admin review of submitted courses and of changes to published ones: /admin/reviews (queue,
learner's-eye review page, the old-against-new page of a revision, decisions). The workflow is the
studio's (studio.services, studio.revisions)."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.admin.forms import RejectForm, RevisionApproveForm, RevisionRejectForm
from mwanzo.admin.views import bp
from mwanzo.courses.access import owned_course
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.studio import revisions, services
from mwanzo.studio.forms import ConfirmForm
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit


@bp.get("/admin/reviews/")
def review_queue():
    return render_template("admin/review_queue.html", courses=services.review_queue(),
                           revisions=services.pending_revisions())


@bp.get("/admin/reviews/<uuid:course_id>")
def review_detail(course_id: uuid.UUID):
    course = owned_course(course_id, with_curriculum=True)
    lessons = [lesson for section in course.sections for lesson in section.lessons]
    wanted = request.args.get("lesson")
    current = next((lesson for lesson in lessons if str(lesson.id) == wanted), lessons[0] if lessons else None)
    return render_template("admin/review_detail.html", course=course, lesson=current,
                           history=services.course_history(course.id))


def decision_page(course_id: uuid.UUID, decision: str, reject_form: RejectForm | None = None, status: int = 200):
    """Approve or reject asks on a page of its own, whose form alone carries the confirmation token."""
    require_page_visit()
    course = owned_course(course_id)
    if course.status != CourseStatus.PENDING_REVIEW:
        abort(409)
    return render_template("admin/review_decision.html", course=course, decision=decision,
                           reject_form=reject_form or RejectForm(), token=confirmation_token(decision, course.id)), status


@bp.get("/admin/reviews/<uuid:course_id>/approve")
def review_approve_confirm(course_id: uuid.UUID):
    return decision_page(course_id, "approve")


@bp.post("/admin/reviews/<uuid:course_id>/approve")
def review_approve(course_id: uuid.UUID):
    course = owned_course(course_id)
    if not ConfirmForm().validate():
        abort(400)
    require_confirmation("approve", course.id)
    try:
        services.approve(course, current_user)
    except services.InvalidTransition:
        abort(409)
    db.session.commit()
    flash(_("“%(title)s” is published and the instructor has been emailed.", title=course.title), "success")
    return redirect(url_for("admin.review_queue"))


@bp.get("/admin/reviews/<uuid:course_id>/reject")
def review_reject_confirm(course_id: uuid.UUID):
    return decision_page(course_id, "reject")


@bp.post("/admin/reviews/<uuid:course_id>/reject")
def review_reject(course_id: uuid.UUID):
    course = owned_course(course_id)
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
    return redirect(url_for("admin.review_queue"))


# ---------------------------------------------------------------- changes to published courses

def revision_page(revision_id: uuid.UUID, reject_form: RevisionRejectForm | None = None, status: int = 200):
    """The old-against-new page is also the decision's confirmation page: only it shows the tokens."""
    require_page_visit()
    revision, course = services.revision_for_review(revision_id)
    new_lessons = revisions.new_lessons(revision, course)
    wanted = request.args.get("lesson")
    lesson = next((item for item in new_lessons if str(item.id) == wanted), new_lessons[0] if new_lessons else None)
    return render_template("admin/revision_detail.html", revision=revision, course=course,
                           diff=revisions.revision_diff(revision, course), new_lessons=new_lessons, lesson=lesson,
                           thumbnail=revisions.pending_thumbnail(revision, course),
                           approve_form=RevisionApproveForm(version=revision.version),
                           reject_form=reject_form or RevisionRejectForm(version=revision.version),
                           approve_token=confirmation_token("approve-revision", revision.id),
                           reject_token=confirmation_token("reject-revision", revision.id)), status


@bp.get("/admin/reviews/revisions/<uuid:revision_id>")
def revision_detail(revision_id: uuid.UUID):
    return revision_page(revision_id)


def decide_revision(revision_id: uuid.UUID, decide, done):
    """Run ``decide()`` on the version the admin read, commit, flash ``done(course)``; when the revision
    changed meanwhile, nothing is decided and the page is shown again with 409."""
    try:
        course = decide()
    except revisions.RevisionChanged:
        db.session.rollback()
        flash(_("The instructor changed this revision, or another admin decided it, since you opened it. "
                "Read it again."), "error")
        return revision_page(revision_id, status=409)
    db.session.commit()
    flash(done(course), "success")
    return redirect(url_for("admin.review_queue"))


@bp.post("/admin/reviews/revisions/<uuid:revision_id>/approve")
def revision_approve(revision_id: uuid.UUID):
    require_confirmation("approve-revision", revision_id)
    form = RevisionApproveForm()
    if not form.validate() or form.read_version() is None:
        abort(400)
    return decide_revision(
        revision_id, lambda: services.approve_revision(revision_id, form.read_version(), current_user),
        lambda course: _("The changes to “%(title)s” are live and the instructor has been emailed.",
                         title=course.title))


@bp.post("/admin/reviews/revisions/<uuid:revision_id>/reject")
def revision_reject(revision_id: uuid.UUID):
    require_confirmation("reject-revision", revision_id)
    form = RevisionRejectForm()
    if not form.validate() or form.read_version() is None:
        return revision_page(revision_id, form, 422)
    return decide_revision(
        revision_id, lambda: services.reject_revision(revision_id, form.read_version(), current_user,
                                                      form.reason.data),
        lambda course: _("The changes to “%(title)s” were sent back to the instructor with your reason.",
                         title=course.title))
