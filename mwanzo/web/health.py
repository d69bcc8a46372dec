from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

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
        from mwanzo.jobs import redis_connection
        try:
            redis_connection().ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "error", checks=checks), 200 if healthy else 503
