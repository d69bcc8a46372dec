"""Reading the emails the app recorded (the real rows the email job sent)."""
from __future__ import annotations

import re

from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.notifications.models import OutboundEmail


def emails_to(address: str, template: str | None = None) -> list[OutboundEmail]:
    query = select(OutboundEmail).where(OutboundEmail.to_address == address).order_by(OutboundEmail.created_at)
    if template:
        query = query.where(OutboundEmail.template == template)
    return list(db.session.scalars(query))


def link_in(email: OutboundEmail, path_part: str) -> str:
    """The first link in the email's text whose path contains path_part, as a path for the test client."""
    for url in re.findall(r"https?://\S+", email.body_text):
        if path_part in url:
            return re.sub(r"^https?://[^/]+", "", url)
    raise AssertionError(f"no link containing {path_part!r} in email {email.subject!r}")


def tampered(token: str) -> str:
    """The token with one character of its signed payload changed. (Changing the last characters is not
    enough: base64's final character may carry padding bits only, and still decode the same.)"""
    position = 2
    return token[:position] + ("A" if token[position] != "A" else "B") + token[position + 1:]
