"""Cross-cutting web concerns: assets, HTMX rendering, headers, errors, filters, health."""
from flask import Flask


def register_web(app: Flask) -> None:
    from mwanzo.web import assets, errors, filters, health, inputs, language, security, sessions, shell

    assets.init_app(app)
    sessions.init_app(app)
    filters.init_app(app)
    security.init_app(app)
    inputs.init_app(app)
    errors.init_app(app)
    app.add_template_global(shell.visitor_part)
    app.register_blueprint(health.bp)
    app.register_blueprint(language.bp)
