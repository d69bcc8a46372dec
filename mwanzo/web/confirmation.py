"""A second, signed step for admin actions that change who can do what (roles, locks, revocations, reviews).

The CSRF token travels in ``hx-headers`` on every page, so a POST alone proves nothing: markup slipped into
user text could send it. The confirm form therefore carries a token that only its own confirmation page
shows, signed for this admin, this target and this action, and valid for a few minutes. The confirmation
page is served only to the browser opening it (itself or through the offline service worker), never to an htmx
or fetch request, so markup on another page cannot read the token from it either.
"""
from __future__ import annotations

from flask import abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

FIELD = "confirm_token"
MAX_AGE_SECONDS = 10 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="mwanzo-admin-confirm")


def _claim(action: str, target) -> dict:
    return {"admin": str(current_user.id), "action": action, "target": str(target)}


def confirmation_token(action: str, target) -> str:
    """For the confirmation page: the hidden field that lets its form carry out `action` on `target`."""
    return _serializer().dumps(_claim(action, target))


def require_page_visit() -> None:
    """A confirmation page is opened by the browser itself (link or form), not fetched by htmx or a script.

    The browser opening it says ``Sec-Fetch-Dest: document``; the same navigation passed on by the offline
    service worker (``fetch(event.request)`` in sw.js) arrives as ``Sec-Fetch-Mode: navigate`` with
    ``Sec-Fetch-Dest: empty`` (Chromium 156). No page script can make a navigate-mode request: its fetches
    say ``cors``, ``same-origin`` or ``no-cors``. Browsers without these headers open it as before."""
    destination = request.headers.get("Sec-Fetch-Dest", "document")
    forwarded = destination == "empty" and request.headers.get("Sec-Fetch-Mode") == "navigate"
    if "HX-Request" in request.headers or not (destination == "document" or forwarded):
        abort(400, _("Open the confirmation page in your browser to make this change."))


def require_confirmation(action: str, target) -> None:
    """Refuse (400) a POST whose confirmation token is missing, expired or minted for another change."""
    try:
        claim = _serializer().loads(request.form.get(FIELD, ""), max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        abort(400, _("This confirmation has expired. Open the page again and confirm within ten minutes."))
    except BadSignature:
        claim = None
    if claim != _claim(action, target):
        abort(400, _("This change needs confirming: open its confirmation page and press the button there."))
