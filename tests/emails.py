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
