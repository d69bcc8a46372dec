"""The inbox page, marking read, and the email choices for notifications."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth import services as auth_services
from mwanzo.auth.access import login_required
from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.inbox import services
from mwanzo.inbox.forms import NotificationSettingsForm
from mwanzo.web.htmx import render
from mwanzo.web.listing import page_number
from mwanzo.web.shell import ANONYMOUS, Header

bp = Blueprint("inbox", __name__)
ACCOUNT = auth_services.account_query(services.unread_count_of(User.id))


def load_user(session_id: str):
    """Flask-Login's loader (wired by create_app): the account and its header badge's count, in one query."""
    user, also = auth_services.load_user_from_session_id(session_id, ACCOUNT)
    if user is not None:
        g.unread_notifications = also[0] or 0
    return user


def visitor_header() -> Header:
    """What the page header shows of the visitor (wired by create_app; mwanzo/web/shell.py renders the layout's
    parts from it): signed in, verified, role, and the badge's unread count, read with the account by
    ``load_user`` (one indexed COUNT otherwise)."""
    if not current_user.is_authenticated:
        return ANONYMOUS
    if "unread_notifications" not in g:
        g.unread_notifications = services.unread_count(current_user.id)
    return Header(signed_in=True, verified=current_user.is_contact_verified, unread=g.unread_notifications,
                  role=current_user.role)


@bp.get("/notifications")
@login_required
def inbox():
    notes = services.inbox_page(current_user.id, page_number(request.args))
    return render("inbox/inbox.html", "inbox/_notifications.html", notes=notes, message=services.message)


@bp.post("/notifications/<uuid:notification_id>/open")
@login_required
def notification_open(notification_id: uuid.UUID):
    """Mark it read and go where it points (a path of this site, written by the app)."""
    row = services.own_notification(current_user.id, notification_id)
    if row is None:
        abort(404)
    services.mark_read(current_user.id, row.id)
    db.session.commit()
    return redirect(row.link if row.link.startswith("/") and not row.link.startswith("//") else url_for("inbox.inbox"))


@bp.post("/notifications/read")
@login_required
def notifications_read():
    services.mark_read(current_user.id)
    db.session.commit()
    flash(_("All notifications are marked read."), "success")
    return redirect(url_for("inbox.inbox"))


@bp.route("/notifications/settings", methods=["GET", "POST"])
@login_required
def notification_settings():
    settings = services.settings_for(current_user.id)
    form = NotificationSettingsForm.for_settings(settings, services.emailed_kinds(current_user.role))
    if form.validate_on_submit():
        services.save_settings(current_user.id, form.emailed.data, form.daily_digest.data)
        db.session.commit()
        flash(_("Your notification choices are saved."), "success")
        return redirect(url_for("inbox.notification_settings"))
    return render("inbox/settings.html", form=form, status=422 if form.errors else 200)
