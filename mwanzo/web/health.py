from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from mwanzo import jobs
from mwanzo.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # the probe reports any failure rather than raising
        checks["database"] = f"error: {exc.__class__.__name__}"
    if current_app.config["REDIS_URL"]:
        try:
            jobs.redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    try:
        backlog = jobs.backlog()
    except Exception as exc:  # Redis or the database down: already reported above
        backlog = {"error": exc.__class__.__name__}
    return jsonify(status="ok" if healthy else "error", checks=checks, jobs=backlog), 200 if healthy else 503
