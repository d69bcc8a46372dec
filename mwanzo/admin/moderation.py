"""Moderation: /admin/reports (open reports, oldest first), hiding and restoring a post with its reason,
and suspending a user's posting. Each change is made from its own confirmation page, whose form alone
carries the signed token (mwanzo/web/confirmation.py), and is written to the audit log. The rules are
discussions.services'; a reported job post is loaded through careers, the domain that owns it."""
from __future__ import annotations

import uuid
from functools import partial

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.audit import record
from mwanzo.admin.forms import HideForm, ReasonForm
from mwanzo.admin.views import bp, change_confirm_page, change_done, get_user_or_404, reason_change, reason_page
from mwanzo.careers import services as careers
from mwanzo.discussions import services as talk
from mwanzo.discussions.models import ReportTarget
from mwanzo.extensions import db
from mwanzo.web.confirmation import require_confirmation


def reported_post(target: ReportTarget, target_id: uuid.UUID):
    """The post a report names, or None when it is gone."""
    if target == ReportTarget.JOB:
        return careers.get_job(target_id)
    return talk.reported_content(target, target_id)[0]


def post_or_404(target: str, target_id: uuid.UUID) -> tuple[ReportTarget, object]:
    try:
        kind = ReportTarget(target.upper())
    except ValueError:
        abort(404)
    row = reported_post(kind, target_id)
    if row is None:
        abort(404)
    return kind, row


@bp.get("/admin/reports")
def report_queue():
    return render_template("admin/report_queue.html",
                           reports=[(entry, reported_post(entry.target, entry.target_id)) for entry in talk.open_reports()])


def hide_page(kind: ReportTarget, row, form=None, status: int = 200):
    return reason_page(_("Hide this post from everyone but its author? They will see your reason."),
                       f"hide:{kind}", row.id, url_for("admin.content_hide", target=kind.lower(), target_id=row.id),
                       url_for("admin.report_queue"), form or HideForm(), status)


@bp.get("/admin/moderation/<target>/<uuid:target_id>/hide")
def content_hide_confirm(target: str, target_id: uuid.UUID):
    return hide_page(*post_or_404(target, target_id))


@bp.post("/admin/moderation/<target>/<uuid:target_id>/hide")
def content_hide(target: str, target_id: uuid.UUID):
    kind, row = post_or_404(target, target_id)
    require_confirmation(f"hide:{kind}", row.id)

    def hide(reason: str) -> None:
        talk.set_hidden(kind, row, current_user, reason)
        record(current_user, "content.hide", row, reason=reason)

    return reason_change(HideForm(), partial(hide_page, kind, row), hide, url_for("admin.report_queue"),
                         _("Hidden. Others now see “removed by a moderator”; the author sees your reason."))


@bp.get("/admin/moderation/<target>/<uuid:target_id>/restore")
def content_restore_confirm(target: str, target_id: uuid.UUID):
    kind, row = post_or_404(target, target_id)
    return change_confirm_page(_("Show this post to everyone again?"), f"restore:{kind}", row.id,
                               url_for("admin.content_restore", target=target, target_id=row.id),
                               url_for("admin.report_queue"))


@bp.post("/admin/moderation/<target>/<uuid:target_id>/restore")
def content_restore(target: str, target_id: uuid.UUID):
    kind, row = post_or_404(target, target_id)
    require_confirmation(f"restore:{kind}", row.id)
    talk.set_hidden(kind, row, current_user, None)
    record(current_user, "content.restore", row)
    return change_done(_("Restored: everyone can read it again."), url_for("admin.report_queue"))


@bp.post("/admin/reports/<uuid:report_id>/dismiss")
def report_dismiss(report_id: uuid.UUID):
    """Keeps the post as it is, so the CSRF check every POST gets is enough."""
    try:
        entry = talk.dismiss(report_id, current_user)
    except talk.NotFound:
        abort(404)
    record(current_user, "report.dismiss", entry)
    db.session.commit()
    flash(_("Report dismissed; the post stays."), "success")
    return redirect(url_for("admin.report_queue"))


def suspend_page(user, form=None, status: int = 200):
    return reason_page(_("Stop %(name)s (%(email)s) posting questions, answers and announcements?",
                         name=user.name, email=user.email),
                       "suspend-posting", user.id, url_for("admin.posting_suspend", user_id=user.id),
                       url_for("admin.report_queue"), form or ReasonForm(), status)


@bp.get("/admin/users/<uuid:user_id>/posting")
def posting_suspend_confirm(user_id: uuid.UUID):
    return suspend_page(get_user_or_404(user_id))


@bp.post("/admin/users/<uuid:user_id>/posting")
def posting_suspend(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    require_confirmation("suspend-posting", user.id)

    def suspend(reason: str) -> None:
        talk.suspend(user, current_user, reason)
        record(current_user, "user.suspend_posting", user, reason=reason)

    return reason_change(ReasonForm(), partial(suspend_page, user), suspend, url_for("admin.report_queue"),
                         _("%(name)s can no longer post questions, answers or announcements.", name=user.name))


@bp.get("/admin/users/<uuid:user_id>/posting/lift")
def posting_lift_confirm(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    return change_confirm_page(_("Let %(name)s (%(email)s) post again?", name=user.name, email=user.email),
                               "lift-posting", user.id, url_for("admin.posting_lift", user_id=user.id),
                               url_for("admin.report_queue"))


@bp.post("/admin/users/<uuid:user_id>/posting/lift")
def posting_lift(user_id: uuid.UUID):
    user = get_user_or_404(user_id)
    require_confirmation("lift-posting", user.id)
    if talk.lift_suspension(user):
        record(current_user, "user.lift_posting_suspension", user)
    return change_done(_("%(name)s can post again.", name=user.name), url_for("admin.report_queue"))
