"""Operating the app: request logs, error reports, metrics and backups."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def init_app(app: Flask) -> None:
    from mwanzo.ops import errors, logs, metrics

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Client address, scheme and host as the proxy saw them (rate limits, secure cookies, links).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    logs.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
