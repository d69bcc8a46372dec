"""The posting rate limit (POSTING_RATE_LIMIT), one budget per account for questions, answers and
announcements, wherever they are posted (the Q&A pages here, announcements in the studio)."""
from __future__ import annotations

from flask import current_app

from mwanzo.auth.access import learner_key


def posting_limit() -> str:
    return current_app.config["POSTING_RATE_LIMIT"]


def posting_key() -> str:
    return f"{learner_key()}:posting"
