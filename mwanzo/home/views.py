"""/dashboard: where the learner picks up, their courses, payments waiting and certificates."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from mwanzo.auth.access import login_required
from mwanzo.discussions import services as talk
from mwanzo.home import services

bp = Blueprint("home", __name__)


@bp.get("/dashboard")
@login_required
def dashboard():
    board = services.dashboard_for(current_user)
    news = talk.recent_announcements([enrollment.course_id for enrollment in board.active + board.completed])
    return render_template("home/dashboard.html", board=board, announcements=news)
