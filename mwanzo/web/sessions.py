"""Responses that must stay out of the session: signed media and fingerprinted assets.

The session cookie is re-signed on every page, and a response that read the session carries
`Vary: Cookie`; a browser then finds its cached copy of a poster or segment stale as soon as the
cookie has changed, and downloads it again. These URLs carry their own authority (a signature or a
content hash), so their responses never set the cookie or vary on it.
"""
from __future__ import annotations

from flask import request
from flask.sessions import SecureCookieSessionInterface

COOKIE_FREE_ENDPOINTS = {"media.serve", "assets.static_file"}


class SessionInterface(SecureCookieSessionInterface):
    def save_session(self, app, session, response) -> None:
        if request.endpoint in COOKIE_FREE_ENDPOINTS:
            return
        super().save_session(app, session, response)


def init_app(app) -> None:
    app.session_interface = SessionInterface()
