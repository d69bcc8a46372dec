"""Role-specific links in the header; each domain adds its own when its blueprint registers."""
from __future__ import annotations

from flask import current_app
from flask_babel import LazyString
from flask_login import current_user

from mwanzo.auth.models import Role

NAV_LINKS: list[tuple[tuple[Role, ...], str, LazyString]] = []


def add_nav_link(roles: tuple[Role, ...], endpoint: str, label: LazyString) -> None:
    if not any(existing[1] == endpoint for existing in NAV_LINKS):
        NAV_LINKS.append((roles, endpoint, label))


def nav_links() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    return [
        (endpoint, str(label))
        for roles, endpoint, label in NAV_LINKS
        if (current_user.role in roles or current_user.role == Role.ADMIN) and endpoint in current_app.view_functions
    ]
