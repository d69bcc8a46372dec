"""Error pages in the site's layout; HTMX and JSON callers get a short body instead."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from mwanzo.extensions import db

PAGES = {
    400: (lambda: _("Bad request"), lambda: _("Something in that request was not right. Please go back and try again.")),
    403: (lambda: _("Not allowed"), lambda: _("You do not have permission to see this page.")),
    404: (lambda: _("Page not found"), lambda: _("We could not find that page. It may have moved.")),
    409: (lambda: _("Conflict"), lambda: _("That change clashes with the current state. Please reload and try again.")),
    413: (lambda: _("Too large"), lambda: _("That upload is larger than we accept.")),
    422: (lambda: _("Could not process"), lambda: _("Some of the information sent could not be used.")),
    429: (lambda: _("Slow down"), lambda: _("Too many attempts. Please wait a few minutes and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("An error on our side stopped this page. We have been told; please try again.")),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, message: str | None = None):
    title, default_message = PAGES.get(code, PAGES[500])
    text = message or default_message()
    if wants_json():
        return jsonify(error=title(), message=text), code
    return render_template("errors/error.html", code=code, title=title(), message=text), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("Your form expired or was sent from another site. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code not in PAGES:
            return error
        # A description given to abort() is meant for the user; werkzeug's stock text is not.
        custom = error.description if error.description != type(error).description and error.code != 429 else None
        return render_error(error.code, custom)

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
