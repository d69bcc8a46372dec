"""The installable app (manifest, service worker at the site root) and what phones ask for to keep lessons
offline: save plans, the saved-lessons page, the access check and the queue of offline changes."""
from __future__ import annotations

import uuid
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.auth.access import login_required
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.offline import services
from mwanzo.web.assets import asset_url
from mwanzo.web.errors import render_error

bp = Blueprint("offline", __name__)

THEME_COLOUR = "#0b6e4f"  # --brand in app.css


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": _("Mwanzo Skills Campus"), "short_name": "Mwanzo", "lang": request.accept_languages.best or "en",
        "start_url": url_for("home.dashboard") + "?source=home-screen", "scope": "/", "display": "standalone",
        "theme_color": THEME_COLOUR, "background_color": "#faf8f3",
        "icons": [
            {"src": asset_url("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {"src": asset_url("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": asset_url("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """Served from the root so it may answer for every page; revalidated on each check, never cached long."""
    body = (Path(current_app.root_path) / "static" / "js" / "sw.js").read_bytes()
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/saved")
@login_required
def saved_list():
    return render_template("offline/saved_list.html")


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/saved.json")
@login_required
def lesson_plan(slug: str, lesson_id: uuid.UUID):
    """What to fetch to keep one lesson on the phone at the chosen quality."""
    access = services.saveable_lesson(current_user, slug, lesson_id)
    return jsonify({"lessons": [services.lesson_plan(access.course, access.lesson, request.args.get("quality", "")).__dict__]})


@bp.get("/learn/<slug>/saved.json")
@login_required
def course_plan(slug: str):
    """What to fetch to keep every lesson of a course on the phone."""
    plans = services.course_plans(current_user, slug, request.args.get("quality", ""))
    return jsonify({"lessons": [plan.__dict__ for plan in plans]})


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/saved/<path:name>")
@login_required
def saved_playlist(slug: str, lesson_id: uuid.UUID, name: str):
    access = services.saveable_lesson(current_user, slug, lesson_id)
    response = Response(services.saved_playlist(access, name), mimetype="application/vnd.apple.mpegurl")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/saved/access.json")
@login_required
def access_check():
    """Which of the lessons saved on this phone the learner may keep, and until when without checking again."""
    try:
        ids = [uuid.UUID(value) for value in request.args.getlist("lesson")[:500]]
    except ValueError:
        abort(400)
    return jsonify({"lessons": services.still_allowed(current_user, ids)})


@bp.post("/saved/queue")
@login_required
def queue_apply():
    """Changes made on the phone without a connection, oldest first; the CSRF token travels in X-CSRFToken."""
    items = (request.get_json(silent=True) or {}).get("items")
    if not isinstance(items, list) or len(items) > 500:
        abort(400)
    outcomes = services.apply_queue(current_user, items)
    db.session.commit()
    return jsonify({"outcomes": outcomes})


@bp.errorhandler(learning.LessonNotFound)
def lesson_not_found(error):
    return render_error(404)


@bp.errorhandler(learning.LessonLocked)
def lesson_locked(error):
    return render_error(403)
