"""Role and ownership checks used by every view that is not public."""
from __future__ import annotations

import uuid
from functools import wraps

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.models import Role
from mwanzo.extensions import login_manager
from mwanzo.web.htmx import is_htmx


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
        if not current_user.is_email_verified:
            flash(_("Please verify your email address first. We can send the link again."), "warning")
            target = url_for("auth.verification_resend")
            if is_htmx():
                return Response(status=204, headers={"HX-Redirect": target})
            return redirect(target)
        return view(*args, **kwargs)

    return wrapped


def is_owner_or_admin(owner_id: uuid.UUID | None) -> bool:
    return current_user.is_authenticated and (current_user.id == owner_id or current_user.role == Role.ADMIN)


def require_owner(owner_id: uuid.UUID | None) -> None:
    """Stops a user from reaching someone else's record by changing an id in the URL."""
    if not is_owner_or_admin(owner_id):
        abort(403)
