"""Role and ownership checks used by every view that is not public.

A blueprint whose pages all need one role says so once, in its ``before_request`` (admin, studio); a
blueprint that mixes public and signed-in pages marks each signed-in view with ``role_required`` or
``login_required`` from here. Records that belong to someone are loaded through ``owned_or_404``.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.models import Role
from mwanzo.extensions import login_manager
from mwanzo.web.htmx import is_htmx


# Where each role lands after signing in: the page with their own work on it (a learner's "continue" links,
# an instructor's courses), not the public catalog. Named by endpoint: those pages live in domains above auth.
START_PAGES = {Role.STUDENT: "home.dashboard", Role.INSTRUCTOR: "studio.course_list",
               Role.EMPLOYER: "careers.employer_job_list", Role.ADMIN: "admin.dashboard"}


def start_page(user) -> str:
    """The URL a user is sent to after signing in when no safe ``next`` was asked for."""
    endpoint = START_PAGES.get(user.role)
    return url_for(endpoint) if endpoint in current_app.view_functions else url_for("catalog.home")


def learner_key() -> str:
    """Rate-limit key for the signed-in account (the address for anonymous callers)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else request.remote_addr or "anonymous"


def role_required(*roles: Role):
    """Anonymous visitors go to the login page; a signed-in user of another role gets 403.
    Admins hold every permission."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles and current_user.role != Role.ADMIN:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def login_required(view):
    return role_required(*Role)(view)


def verified_email_required(view):
    """Enrolling, paying, the studio and posting jobs need a verified email; others are sent to the page that
    explains it and sends the link again (htmx navigates there as a whole page)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_contact_verified:
            flash(_("Please verify your email address first. We can send the link again."), "warning")
            target = url_for("auth.verification_resend")
            if is_htmx():
                return Response(status=204, headers={"HX-Redirect": target})
            return redirect(target)
        return view(*args, **kwargs)

    return wrapped


Row = TypeVar("Row")


def acts_for(user, owner_id: uuid.UUID | None, admins: bool = True) -> bool:
    """The one owner-or-admin rule: the owner, or (where admins may act) an admin."""
    if user is None or not user.is_authenticated:
        return False
    return user.id == owner_id or (admins and user.role == Role.ADMIN)


def owned_or_404(row: Row | None, owner_id: Callable[[Row], uuid.UUID | None], admins: bool = True) -> Row:
    """The row when the signed-in user may act for its owner; 404 otherwise, the same answer as for an id
    that does not exist, so changing an id in the URL tells nobody whose record it is."""
    if row is None or not acts_for(current_user, owner_id(row), admins):
        abort(404)
    return row
