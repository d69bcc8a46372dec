"""Error pages in the site's layout; HTMX callers get a short fragment for the page's alert region, JSON callers
a short JSON body."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, jsonify, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from mwanzo.extensions import db, login_manager
from mwanzo.web.htmx import is_htmx
from mwanzo.web.security import is_safe_next

# base.html's one place for errors of htmx requests: role="alert", outside <main>, so it exists on every page.
ALERT_TARGET = "#flash-errors"

PAGES = {
    400: (lambda: _("Bad request"), lambda: _("Something in that request was not right. Please go back and try again.")),
    401: (lambda: _("Please log in"), lambda: _("You are not logged in any more. Log in again, then try once more.")),
    403: (lambda: _("Not allowed"), lambda: _("You do not have permission to see this page.")),
    404: (lambda: _("Page not found"), lambda: _("We could not find that page. It may have moved.")),
    405: (lambda: _("Not allowed"), lambda: _("That action is not available here. Please go back and try again.")),
    409: (lambda: _("Conflict"), lambda: _("That change clashes with the current state. Please reload and try again.")),
    413: (lambda: _("Too large"), lambda: _("That upload is larger than we accept.")),
    422: (lambda: _("Could not process"), lambda: _("Some of the information sent could not be used.")),
    429: (lambda: _("Slow down"), lambda: _("Too many attempts. Please wait a few minutes and try again.")),
    500: (lambda: _("Something went wrong"), lambda: _("An error on our side stopped this page. We have been told; please try again.")),
}

# Inside a page that stays on screen, "this page" would be wrong: the request was for a part of it.
IN_PAGE = {
    403: lambda: _("You do not have permission to do that."),
    404: lambda: _("We could not find what you asked for. It may have been moved or deleted."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def render_error(code: int, message: str | None = None) -> Response:
    """The error as JSON, as the alert fragment (an htmx request that is not boosted), or as a full page.

    The fragment carries HX-Retarget/HX-Reswap so htmx puts it in the alert region whatever element sent the
    request (app.js lets htmx swap such a 4xx/5xx; its config swaps 422 itself). A form that fails validation
    does not come here: it re-renders itself, with its field errors, at 422."""
    title, default_message = PAGES.get(code, PAGES[500 if code >= 500 else 400])
    text = message or default_message()
    if wants_json():
        response = jsonify(error=title(), message=text)
        response.status_code = code
    elif is_htmx():
        text = message or IN_PAGE.get(code, default_message)()
        response = make_response(render_template("errors/_error.html", message=text,
                                                 login_url=login_again_url() if code == 401 else None), code)
        response.headers["HX-Retarget"] = ALERT_TARGET
        response.headers["HX-Reswap"] = "innerHTML"
        response.headers["HX-Push-Url"] = "false"  # a search that failed stays out of the history
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title(), message=text), code)
    response.vary.add("HX-Request")
    return response


def login_again_url() -> str:
    """The login page, coming back to the page the htmx request was sent from."""
    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    back = current.path + (f"?{current.query}" if current.query else "")
    return url_for(login_manager.login_view, next=back if is_safe_next(back) else None)


def is_login_redirect(response: Response) -> bool:
    return (response.status_code in (301, 302, 303, 307, 308) and response.location is not None
            and urlsplit(response.location).path == url_for(login_manager.login_view))


def init_app(app: Flask) -> None:
    @app.after_request
    def htmx_session_expired(response: Response) -> Response:
        """Flask-Login sends a visitor whose session ended to the login page; htmx would follow that redirect and
        swap the whole login page into the element that asked. An htmx request gets the 401 fragment instead."""
        if is_htmx() and is_login_redirect(response):
            return render_error(401)
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _("Your form expired or was sent from another site. Please reload the page and try again."))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400 or (error.code not in PAGES and not is_htmx()):
            return error
        # A description given to abort() is meant for the user; werkzeug's stock text is not.
        custom = error.description if error.description != type(error).description and error.code != 429 else None
        response = render_error(error.code, custom)
        for name, value in error.get_headers():  # Allow on a 405, Retry-After where one is given
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(InternalServerError)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
