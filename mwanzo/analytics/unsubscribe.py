"""Unsubscribing from the weekly report by the signed link in the email (no login needed)."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from mwanzo.analytics import weekly
from mwanzo.extensions import db

bp = Blueprint("weekly", __name__)  # public: the link in the email works without signing in


@bp.route("/email/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """GET shows a button (mail scanners open links; they must not unsubscribe anyone); POST unsubscribes."""
    try:
        user = weekly.unsubscribe_user(token)
    except weekly.InvalidUnsubscribeToken:
        return render_template("analytics/unsubscribe.html", invalid=True), 404
    done = False
    if request.method == "POST":
        weekly.unsubscribe(token)
        db.session.commit()
        done = True
    return render_template("analytics/unsubscribe.html", user=user, token=token, done=done, invalid=False)
