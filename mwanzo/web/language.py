"""The language switcher: remembered in a cookie, and on the account of a signed-in user."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request
from flask_login import current_user

from mwanzo.extensions import db
from mwanzo.web.security import is_safe_next

bp = Blueprint("language", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.post("/language")
def language_set():
    code = request.form.get("lang", "")
    if code not in current_app.config["LANGUAGES"]:
        abort(400)
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    referrer = urlsplit(request.referrer or "")
    back = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    response = redirect(back if is_safe_next(back) and referrer.netloc == request.host else "/")
    response.set_cookie("lang", code, max_age=ONE_YEAR, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
