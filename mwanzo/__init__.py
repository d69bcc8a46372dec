"""Mwanzo Skills Campus: the Flask application factory."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from mwanzo.config import check_production_safety, development_secret_key, load_config


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, static_folder=None)
    instance_path = Path(app.instance_path)
    app.config.update(load_config(instance_path))
    if overrides:
        app.config.update(overrides)
    check_production_safety(app.config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = development_secret_key(instance_path)

    from mwanzo import ops
    ops.init_app(app)  # first, so its request hooks see requests that CSRF or a rate limit refuses
    register_extensions(app)
    register_blueprints(app)
    from mwanzo.web import register_web
    register_web(app)
    register_wiring(app)
    from mwanzo.cli import register_cli
    register_cli(app)
    return app


def register_extensions(app: Flask) -> None:
    from mwanzo import models  # noqa: F401  (every table known to metadata and migrations)
    from mwanzo.extensions import babel, compress, csrf, db, limiter, login_manager, migrate
    from mwanzo.i18n import select_locale

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from mwanzo.database import configure_sqlite
            configure_sqlite(db.engine)
        elif db.engine.dialect.name == "postgresql":
            from mwanzo.database import configure_postgresql
            configure_postgresql(db.engine)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    login_manager.init_app(app)
    from mwanzo import cache
    cache.init_app(app)
    register_templates(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from mwanzo import jobs
    from mwanzo.tasks import SCHEDULE
    jobs.init_app(app, schedule=SCHEDULE, app_factory=create_app)


def register_templates(app: Flask) -> None:
    """Compiled templates kept on disk (a restarted process skips compiling); not re-read from disk per render
    unless TEMPLATES_AUTO_RELOAD (development)."""
    from jinja2 import FileSystemBytecodeCache

    folder = app.config.get("JINJA_BYTECODE_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(folder)  # None: the system's temporary folder
    app.jinja_env.auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]


def register_blueprints(app: Flask) -> None:
    from mwanzo.admin.views import bp as admin_bp
    from mwanzo.auth.views import bp as auth_bp
    from mwanzo.careers.views import bp as careers_bp
    from mwanzo.catalog.views import bp as catalog_bp
    from mwanzo.analytics.unsubscribe import bp as weekly_bp
    from mwanzo.certificates.views import bp as certificates_bp
    from mwanzo.discussions.views import bp as discussions_bp
    from mwanzo.home.views import bp as home_bp
    from mwanzo.inbox.views import bp as inbox_bp
    from mwanzo.learning.views import bp as learning_bp
    from mwanzo.media.delivery import bp as media_bp
    from mwanzo.offline.views import bp as offline_bp
    from mwanzo.payments.views import bp as payments_bp
    from mwanzo.privacy.views import bp as privacy_bp
    from mwanzo.sms.views import bp as sms_bp
    from mwanzo.studio.views import bp as studio_bp

    for bp in (admin_bp, auth_bp, careers_bp, catalog_bp, certificates_bp, discussions_bp, home_bp, inbox_bp,
               learning_bp, media_bp, offline_bp, payments_bp, privacy_bp, sms_bp, studio_bp, weekly_bp):
        app.register_blueprint(bp)


def register_wiring(app: Flask) -> None:
    """What a lower layer offers and the container connects: the account loader (with the inbox's badge
    count), the page header's description of the visitor (every role's links, the badge), the domains'
    gauges on /metrics and the rows that keep stored files in use. (The periodic schedule is handed to the job
    pipeline above; reactions that flow upward are calls from the owning view or task, listed in README
    "Architecture".)"""
    from mwanzo import jobs
    from mwanzo.courses.services import stored_files_in_use
    from mwanzo.extensions import login_manager
    from mwanzo.inbox.views import load_user, visitor_header
    from mwanzo.jobs.tasks import keep_files_in_use
    from mwanzo.navigation import nav_links
    from mwanzo.notifications.models import EmailStatus, OutboundEmail
    from mwanzo.ops import metrics
    from mwanzo.payments.models import Payment, PaymentStatus
    from mwanzo.web import shell

    keep_files_in_use(app, stored_files_in_use)
    login_manager.user_loader(load_user)
    shell.register_header(app, visitor_header)
    app.add_template_global(nav_links)
    metrics.register_gauges(
        app, jobs.queue_gauges,
        metrics.status_gauge("mwanzo_payments", "Payments by status.", Payment.status, PaymentStatus),
        metrics.status_gauge("mwanzo_emails", "Emails by delivery status.", OutboundEmail.status, EmailStatus),
    )
