"""Moderation: /admin/reports (open reports, oldest first), hiding and restoring a post with its reason,
and suspending a user's posting. Every change is written to the audit log. The rules are discussions.services'."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.audit import record
from mwanzo.admin.views import bp
from mwanzo.auth.models import User
from mwanzo.discussions import services as talk
from mwanzo.discussions.forms import ReportForm
from mwanzo.discussions.models import ReportTarget
from mwanzo.extensions import db


def target_or_404(target: str) -> ReportTarget:
    try:
        return ReportTarget(target.upper())
    except ValueError:
        abort(404)


@bp.get("/admin/reports")
def report_queue():
    return render_template("admin/report_queue.html", reports=talk.open_reports(), form=ReportForm(formdata=None))


@bp.post("/admin/moderation/<target>/<uuid:target_id>/hide")
def content_hide(target: str, target_id: uuid.UUID):
    kind = target_or_404(target)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Give the author a reason of at least three characters."), "error")
        return redirect(url_for("admin.report_queue"))
    try:
        row = talk.set_hidden(kind, target_id, current_user, form.reason.data)
    except talk.NotFound:
        abort(404)
    record(current_user, "content.hide", row, reason=form.reason.data)
    db.session.commit()
    flash(_("Hidden. Others now see “removed by a moderator”; the author sees your reason."), "success")
    return redirect(url_for("admin.report_queue"))


@bp.post("/admin/moderation/<target>/<uuid:target_id>/restore")
def content_restore(target: str, target_id: uuid.UUID):
    kind = target_or_404(target)
    try:
        row = talk.set_hidden(kind, target_id, current_user, None)
    except talk.NotFound:
        abort(404)
    record(current_user, "content.restore", row)
    db.session.commit()
    flash(_("Restored: everyone can read it again."), "success")
    return redirect(url_for("admin.report_queue"))


@bp.post("/admin/reports/<uuid:report_id>/dismiss")
def report_dismiss(report_id: uuid.UUID):
    try:
        entry = talk.dismiss(report_id, current_user)
    except talk.NotFound:
        abort(404)
    record(current_user, "report.dismiss", entry)
    db.session.commit()
    flash(_("Report dismissed; the post stays."), "success")
    return redirect(url_for("admin.report_queue"))


@bp.post("/admin/users/<uuid:user_id>/posting")
def posting_suspend(user_id: uuid.UUID):
    user = db.session.get(User, user_id) or abort(404)
    form = ReportForm()
    if not form.validate_on_submit():
        flash(_("Give a reason of at least three characters."), "error")
        return redirect(url_for("admin.report_queue"))
    talk.suspend(user, current_user, form.reason.data)
    record(current_user, "user.suspend_posting", user, reason=form.reason.data)
    db.session.commit()
    flash(_("%(name)s can no longer post questions, answers or announcements.", name=user.name), "success")
    return redirect(url_for("admin.report_queue"))


@bp.post("/admin/users/<uuid:user_id>/posting/lift")
def posting_lift(user_id: uuid.UUID):
    user = db.session.get(User, user_id) or abort(404)
    if talk.lift_suspension(user):
        record(current_user, "user.lift_posting_suspension", user)
    db.session.commit()
    flash(_("%(name)s can post again.", name=user.name), "success")
    return redirect(url_for("admin.report_queue"))
