"""What support does every day, on the admin blueprint under its guard: the search box (/admin/search), a
user's fixes (edit, verify, resend the link, grant or revoke a course), taking a course down, failed
emails (/admin/emails), text messages and their delivery (/admin/sms) and the callbacks that matched no payment or could not be read
(/admin/payments/callbacks). The rules live in the domains' services; admin/services.py audits them.

Changes to access (a grant, a revocation, a take-down, an address or a verification) are made only from
their confirmation page, whose form carries the signed token (mwanzo/web/confirmation.py)."""
from __future__ import annotations

import uuid
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.admin import services
from mwanzo.admin.forms import GrantForm, ReasonForm, RejectForm, SearchForm, UserEditForm
from mwanzo.admin.views import bp, change_confirm_page, get_user_or_404, reason_change, reason_page, user_change
from mwanzo.auth.services import EmailTaken
from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment
from mwanzo.notifications.services import failed_emails
from mwanzo.payments import queries as payment_queries
from mwanzo.sms.services import recent_messages
from mwanzo.studio import services as studio
from mwanzo.web.listing import ListForm, list_page, page_number
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit


def actor():
    return current_user._get_current_object()


@bp.get("/admin/search")
def search():
    form = SearchForm(request.args)
    results = services.support_search(form.q.data or "") if form.validate() else services.support_search("")
    return render_template("admin/search.html", form=form, results=results)


# ---------------------------------------------------------------- one user's fixes

def edit_page(user, form: UserEditForm, status: int = 200):
    """The edit form is its own confirmation page: it carries the token."""
    require_page_visit()
    return render_template("admin/user_edit.html", user=user, form=form,
                           token=confirmation_token("edit", user.id)), status


@bp.get("/admin/users/<uuid:user_id>/edit")
def user_edit(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    return edit_page(user, UserEditForm(obj=user))


@bp.post("/admin/users/<uuid:user_id>/edit")
def user_edit_post(user_id: uuid.UUID):
    require_confirmation("edit", user_id)
    user = get_user_or_404(user_id)
    form = UserEditForm()
    if not form.validate_on_submit():
        return edit_page(user, form, 422)
    try:
        changed = services.edit_user(actor(), user, form.name.data, form.email.data)
    except EmailTaken:
        db.session.rollback()
        form.email.errors.append(_("Another account already uses this email address."))
        return edit_page(get_user_or_404(user_id), form, 409)
    db.session.commit()
    if changed:
        flash(_("Saved and recorded in the audit log."), "success")
    return redirect(url_for("admin.user_detail", user_id=user_id), 303)


@bp.get("/admin/users/<uuid:user_id>/verified")
def user_verified_confirm(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    return change_confirm_page(_("Mark %(email)s as verified without the learner opening the link?", email=user.email),
                               "verified", user.id, url_for("admin.user_verified", user_id=user.id),
                               url_for("admin.user_detail", user_id=user.id))


@bp.post("/admin/users/<uuid:user_id>/verified")
def user_verified(user_id: uuid.UUID):
    return user_change(user_id, "verified", lambda u: services.mark_verified(actor(), u))


@bp.post("/admin/users/<uuid:user_id>/verification-email")
def user_verification_email(user_id: uuid.UUID):
    """Sends a fresh link: no change to access, so the CSRF check every POST gets is enough."""
    user = get_user_or_404(user_id)
    sent = services.resend_verification(actor(), user)
    db.session.commit()
    flash(_("A new verification link was sent to %(email)s.", email=user.email) if sent
          else _("This address is already verified."), "success" if sent else "info")
    return redirect(url_for("admin.user_detail", user_id=user_id), 303)


def course_by_slug_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404, _("No course has this web address name."))
    return course


def grant_page(user, course: Course, form=None, status: int = 200):
    return reason_page(_("Give %(name)s (%(email)s) the course “%(title)s” without a payment?",
                         name=user.name, email=user.email, title=course.title),
                       f"grant:{course.id}", user.id, url_for("admin.enrollment_grant", user_id=user.id),
                       url_for("admin.user_detail", user_id=user.id), form, status, course=course.slug)


@bp.get("/admin/users/<uuid:user_id>/enrolments/grant")
def enrollment_grant_confirm(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    form = GrantForm(request.args)
    if not form.validate():
        abort(422)
    return grant_page(user, course_by_slug_or_404(form.course.data))


@bp.post("/admin/users/<uuid:user_id>/enrolments/grant")
def enrollment_grant(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    course = course_by_slug_or_404(request.form.get("course", ""))
    require_confirmation(f"grant:{course.id}", user.id)
    return reason_change(ReasonForm(), partial(grant_page, user, course),
                         partial(services.grant_enrollment, actor(), user, course),
                         url_for("admin.user_detail", user_id=user.id),
                         _("The learner now has the course; recorded in the audit log."),
                         _("The learner already had this course; nothing was changed."))


def enrollment_or_404(user_id: uuid.UUID, enrollment_id: uuid.UUID) -> Enrollment:
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.id == enrollment_id,
                                                            Enrollment.student_id == user_id))
    if enrollment is None:
        abort(404)
    enrollment.course = db.session.get(Course, enrollment.course_id)
    return enrollment


def revoke_page(user, enrollment: Enrollment, form=None, status: int = 200):
    return reason_page(_("Take “%(title)s” away from %(name)s (%(email)s)? Their access ends at once; a payment "
                         "is not refunded by this.", title=enrollment.course.title, name=user.name, email=user.email),
                       "revoke-enrollment", enrollment.id,
                       url_for("admin.enrollment_revoke", user_id=user.id, enrollment_id=enrollment.id),
                       url_for("admin.user_detail", user_id=user.id), form, status)


@bp.get("/admin/users/<uuid:user_id>/enrolments/<uuid:enrollment_id>/revoke")
def enrollment_revoke_confirm(user_id: uuid.UUID, enrollment_id: uuid.UUID):
    return revoke_page(get_user_or_404(user_id), enrollment_or_404(user_id, enrollment_id))


@bp.post("/admin/users/<uuid:user_id>/enrolments/<uuid:enrollment_id>/revoke")
def enrollment_revoke(user_id: uuid.UUID, enrollment_id: uuid.UUID):
    require_confirmation("revoke-enrollment", enrollment_id)
    user, enrollment = get_user_or_404(user_id), enrollment_or_404(user_id, enrollment_id)
    return reason_change(ReasonForm(), partial(revoke_page, user, enrollment),
                         partial(services.revoke_enrollment, actor(), enrollment),
                         url_for("admin.user_detail", user_id=user.id), _("Access removed; recorded in the audit log."),
                         _("The learner had no access to remove; nothing was changed."))


# ---------------------------------------------------------------- taking a published course down

def take_down_page(course: Course, form=None, status: int = 200):
    return reason_page(_("Take “%(title)s” out of the catalog? Learners who have it keep it; nobody new can enrol. "
                         "The instructor is emailed your reason.", title=course.title),
                       "take-down", course.id, url_for("admin.course_take_down", course_id=course.id),
                       url_for("admin.course_list"), form or RejectForm(), status)


@bp.get("/admin/courses/<uuid:course_id>/take-down")
def course_take_down_confirm(course_id: uuid.UUID):
    return take_down_page(db.get_or_404(Course, course_id))


@bp.post("/admin/courses/<uuid:course_id>/take-down")
def course_take_down(course_id: uuid.UUID):
    require_confirmation("take-down", course_id)
    course = db.get_or_404(Course, course_id)

    def take_down(reason: str) -> None:
        try:
            studio.take_down(course, actor(), reason)
        except studio.InvalidTransition:
            abort(409, _("Only a published course can be taken down."))

    return reason_change(RejectForm(), partial(take_down_page, course), take_down, url_for("admin.course_list"),
                         _("“%(title)s” is no longer in the catalog; the instructor has been emailed.",
                           title=course.title))


# ---------------------------------------------------------------- failed emails and stray callbacks

@bp.get("/admin/emails")
def email_list():
    return render_template("admin/email_list.html", listing=list_page(ListForm(request.args), failed_emails, 50))


@bp.post("/admin/emails/<uuid:email_id>/send-again")
def email_send_again(email_id: uuid.UUID):
    """Idempotent: only a FAILED email is queued again, once, however often this is pressed."""
    queued = services.send_email_again(actor(), email_id)
    db.session.commit()
    flash(_("The email is queued to be sent again.") if queued
          else _("This email is no longer failed; nothing was queued."), "success" if queued else "info")
    return redirect(url_for("admin.email_list", page=page_number(request.args)), 303)


@bp.get("/admin/sms")
def sms_list():
    return render_template("admin/sms_list.html", listing=list_page(ListForm(request.args), recent_messages, 50))


@bp.get("/admin/payments/callbacks")
def callback_list():
    listing = list_page(ListForm(request.args), payment_queries.problem_callbacks, 10)
    return render_template("admin/callback_list.html", listing=listing)
