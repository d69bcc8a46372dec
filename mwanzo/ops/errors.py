"""Error reports to Sentry when SENTRY_DSN is set; without it the SDK is never started."""
from __future__ import annotations

from importlib.metadata import version

from flask import Flask


def init_app(app: Flask) -> None:
    dsn = app.config["SENTRY_DSN"]
    if not dsn:
        return
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        release=app.config["SENTRY_RELEASE"] or f"mwanzo@{version('mwanzo')}",
        environment=app.config["MWANZO_ENV"],
        # send_default_pii stays at its default, off: no learner emails, cookies or IPs leave for the
        # error tracker (the SDK now warns when it is passed at all).
        integrations=[FlaskIntegration()],
    )
