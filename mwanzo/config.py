"""Every setting comes from the environment; development gets safe local fallbacks, production gets none."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

TRUE_WORDS = {"1", "true", "yes", "on"}


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production settings would be unsafe."""


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else raw.strip().lower() in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if not raw else int(raw)


def normalise_database_url(url: str) -> str:
    """Hosted PostgreSQL often hands out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def development_secret_key(instance_path: Path) -> str:
    """A random key kept under instance/ so sessions survive restarts of a local run."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load_config(instance_path: Path) -> dict[str, Any]:
    env = os.environ.get("MWANZO_ENV", "development")
    production = env == "production"
    redis_url = os.environ.get("REDIS_URL") or None
    config: dict[str, Any] = {
        "MWANZO_ENV": env,
        "DEBUG": env_bool("FLASK_DEBUG", False),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or None,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'mwanzo.db'}"
        ),
        "REDIS_URL": redis_url,
        # "thread" runs jobs in-process after commit; "rq" sends them to Redis for worker.py;
        # "sync" runs them inline after commit (tests, one-off scripts).
        "JOB_RUNNER": os.environ.get("JOB_RUNNER") or ("rq" if redis_url else "thread"),
        "RQ_QUEUE_PREFIX": os.environ.get("RQ_QUEUE_PREFIX", ""),
        # Shared page parts (mwanzo/cache.py): in Redis when it is set, else in each process's memory.
        "CACHE_REDIS_URL": os.environ.get("CACHE_REDIS_URL") or redis_url,
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX")
        or f"{os.environ.get('RQ_QUEUE_PREFIX', '')}mwanzo:cache:",
        # Upper bounds only: writes bump versions, so a change shows on the next request anyway.
        "CATALOG_CACHE_SECONDS": env_int("CATALOG_CACHE_SECONDS", 900),
        "COURSE_CACHE_SECONDS": env_int("COURSE_CACHE_SECONDS", 3600),
        # Templates are read and compiled once per process (re-read on change only when debugging); the
        # compiled code is kept on disk for restarts.
        "TEMPLATES_AUTO_RELOAD": not production and env_bool("TEMPLATES_AUTO_RELOAD", env_bool("FLASK_DEBUG", False)),
        "JINJA_BYTECODE_DIR": os.environ.get("JINJA_BYTECODE_DIR") or None,
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "console"),
        "SMTP_HOST": os.environ.get("SMTP_HOST", "localhost"),
        "SMTP_PORT": env_int("SMTP_PORT", 587),
        "SMTP_USER": os.environ.get("SMTP_USER") or None,
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD") or None,
        "SMTP_STARTTLS": env_bool("SMTP_STARTTLS", production),
        # A CA bundle to trust for the SMTP server's certificate (else the system's).
        "SMTP_CA_FILE": os.environ.get("SMTP_CA_FILE") or None,
        "SES_ENDPOINT_URL": os.environ.get("SES_ENDPOINT_URL") or None,
        "AWS_REGION": os.environ.get("AWS_REGION", "af-south-1"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "Mwanzo Skills Campus <no-reply@mwanzo.local>"),
        "EMAIL_MAX_ATTEMPTS": env_int("EMAIL_MAX_ATTEMPTS", 3),
        "REFUND_WINDOW_DAYS": env_int("REFUND_WINDOW_DAYS", 7),
        "REFUND_MAX_WATCHED_PERCENT": env_int("REFUND_MAX_WATCHED_PERCENT", 20),
        "PLATFORM_SHARE_PERCENT": env_int("PLATFORM_SHARE_PERCENT", 30),
        # The weekly progress report goes out from this UTC weekday (0 = Monday) and hour on.
        "WEEKLY_REPORT_WEEKDAY": env_int("WEEKLY_REPORT_WEEKDAY", 0),
        "WEEKLY_REPORT_HOUR_UTC": env_int("WEEKLY_REPORT_HOUR_UTC", 5),
        # How often the scheduler looks for learners due this week's report (clock-aligned).
        "WEEKLY_REPORT_CHECK_SECONDS": env_int("WEEKLY_REPORT_CHECK_SECONDS", 3600),
        # The study reminder by SMS: to learners idle this many days, checked this often, texted only
        # between these UTC hours (inclusive; 06-16 UTC is 09:00-19:59 in Kenya).
        "STUDY_REMINDER_IDLE_DAYS": env_int("STUDY_REMINDER_IDLE_DAYS", 7),
        "STUDY_REMINDER_CHECK_SECONDS": env_int("STUDY_REMINDER_CHECK_SECONDS", 3600),
        "STUDY_REMINDER_HOURS_UTC": (env_int("STUDY_REMINDER_FIRST_HOUR_UTC", 6), env_int("STUDY_REMINDER_LAST_HOUR_UTC", 16)),
        # Certificate PDFs embed DejaVu Sans (Debian's fonts-dejavu-core) so every name prints as written.
        "CERTIFICATE_FONT_DIR": os.environ.get("CERTIFICATE_FONT_DIR", "/usr/share/fonts/truetype/dejavu"),
        # The daily digest of notifications, for those who chose it instead of single emails.
        "NOTIFICATION_DIGEST_SECONDS": env_int("NOTIFICATION_DIGEST_SECONDS", 86400),
        # Questions, answers and announcements one account may post.
        "POSTING_RATE_LIMIT": os.environ.get("POSTING_RATE_LIMIT", "10 per minute;100 per day"),
        # Messages one employer may send to pool candidates (each candidate once at most).
        "CONTACT_RATE_LIMIT": os.environ.get("CONTACT_RATE_LIMIT", "10 per hour;30 per day"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", production),
        # "Keep me signed in" lasts this long; logging out ends it at once on every device.
        "REMEMBER_COOKIE_DURATION": timedelta(days=env_int("REMEMBER_COOKIE_DAYS", 30)),
        "PERMANENT_SESSION_LIFETIME": 24 * 3600,
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the 24 h session
        "RATELIMIT_ENABLED": env_bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis unreachable: each web process counts in its own memory until it is back, so sign-ups and
        # sign-ins still work and guessing stays limited (to the limit times the number of processes).
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Per IP, every login POST: high, because carrier-grade NAT puts thousands of phones behind one address.
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "600 per hour"),
        # Failed logins only: per (IP, account) stops one address guessing long before the account-wide
        # limit, so an attacker elsewhere cannot lock the owner out; per account stops distributed guessing.
        "LOGIN_PAIR_RATE_LIMIT": os.environ.get("LOGIN_PAIR_RATE_LIMIT", "5 per 15 minutes"),
        "LOGIN_ACCOUNT_RATE_LIMIT": os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 15 minutes"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "30 per hour"),
        "RESET_RATE_LIMIT": os.environ.get("RESET_RATE_LIMIT", "5 per 15 minutes"),
        # Certificate look-ups by code (page, PDF, /verify) per IP: codes cannot be enumerated.
        "VERIFY_RATE_LIMIT": os.environ.get("VERIFY_RATE_LIMIT", "30 per minute;300 per day"),
        # Progress saves per learner and lesson: the player saves every 15 s, plus on pause and page hide.
        "PROGRESS_RATE_LIMIT": os.environ.get("PROGRESS_RATE_LIMIT", "5 per 10 seconds"),
        # Sign-in codes by SMS: their life, tries and the wait before another may be sent.
        "OTP_LIFETIME_SECONDS": env_int("OTP_LIFETIME_SECONDS", 600),
        "OTP_MAX_TRIES": env_int("OTP_MAX_TRIES", 5),
        "OTP_RESEND_SECONDS": env_int("OTP_RESEND_SECONDS", 60),
        # Codes sent per number (each one costs money and rings a phone), and per IP: high, for carrier NAT.
        "OTP_PHONE_RATE_LIMIT": os.environ.get("OTP_PHONE_RATE_LIMIT", "5 per hour;10 per day"),
        "OTP_IP_RATE_LIMIT": os.environ.get("OTP_IP_RATE_LIMIT", "120 per hour"),
        # Code entries per IP (the 5 tries per code stop guessing one number).
        "OTP_CHECK_RATE_LIMIT": os.environ.get("OTP_CHECK_RATE_LIMIT", "600 per hour"),
        # The privacy notice and terms in force: recorded with each person's consent.
        "PRIVACY_VERSION": os.environ.get("PRIVACY_VERSION", "2026-12"),
        # Retention (README: Data and privacy): stale unverified accounts, codes, raw callbacks, export links.
        "UNVERIFIED_ACCOUNT_DAYS": env_int("UNVERIFIED_ACCOUNT_DAYS", 30),
        "OTP_RETENTION_DAYS": env_int("OTP_RETENTION_DAYS", 1),
        "SMS_REPORT_RETENTION_DAYS": env_int("SMS_REPORT_RETENTION_DAYS", 90),
        "CALLBACK_RETENTION_DAYS": env_int("CALLBACK_RETENTION_DAYS", 180),
        "EXPORT_LINK_HOURS": env_int("EXPORT_LINK_HOURS", 48),
        "MAX_FAILED_LOGINS": env_int("MAX_FAILED_LOGINS", 20),
        "BCRYPT_ROUNDS": env_int("BCRYPT_ROUNDS", 12),
        "MAX_CONTENT_LENGTH": env_int("MAX_REQUEST_BYTES", 16 * 1024 * 1024),
        "COMPRESS_MIMETYPES": [
            "text/html", "text/css", "text/plain", "text/xml", "application/xml",
            "application/javascript", "text/javascript", "application/json",
            "image/svg+xml", "application/vnd.apple.mpegurl",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_MIN_SIZE": 500,
        "COMPRESS_BR_LEVEL": 5,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "Africa/Nairobi",
        "LANGUAGES": {"en": "English", "sw": "Kiswahili"},
        "STORAGE_BACKEND": os.environ.get("STORAGE_BACKEND", "local"),
        "MEDIA_ROOT": os.environ.get("MEDIA_ROOT") or str(instance_path / "media"),
        "S3_BUCKET": os.environ.get("S3_BUCKET") or None,
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL") or None,
        "MEDIA_URL_TTL_SECONDS": env_int("MEDIA_URL_TTL_SECONDS", 3600),
        # Signed media URLs made within one window share their expiry (the window's end plus the TTL), so a
        # revisit asks for the same URLs and the browser answers from its cache. An issued URL thus works
        # for TTL to TTL + window seconds; a revoked learner loses playlists (and so new URLs) at once.
        "MEDIA_URL_WINDOW_SECONDS": env_int("MEDIA_URL_WINDOW_SECONDS", 3600),
        "MEDIA_X_ACCEL_PREFIX": os.environ.get("MEDIA_X_ACCEL_PREFIX") or None,
        # A lesson saved on a phone plays offline this long after the phone last checked its access online.
        "OFFLINE_ACCESS_DAYS": env_int("OFFLINE_ACCESS_DAYS", 14),
        # Largest picture upload, checked from its header before decoding. 25 MP covers a 24 MP camera
        # photo (thumbnails and logos are at most 640 px wide); decoded as RGBA that is 100 MB at most,
        # so two uploads at once keep a web worker well inside its memory.
        "MAX_IMAGE_PIXELS": env_int("MAX_IMAGE_PIXELS", 25_000_000),
        "MAX_VIDEO_BYTES": env_int("MAX_VIDEO_BYTES", 2 * 1024**3),
        # A course archive (studio import): checked whole before anything is written, packed and unpacked.
        "MAX_COURSE_ARCHIVE_BYTES": env_int("MAX_COURSE_ARCHIVE_BYTES", 1024**3),
        # Heavier course exports and larger imports run as a job the studio follows on a status page.
        "COURSE_TRANSFER_INLINE_BYTES": env_int("COURSE_TRANSFER_INLINE_BYTES", 50 * 1024**2),
        # A RUNNING transfer untouched this long lost its worker: the sweep queues it again (a job gives up
        # after COURSE_TRANSFER_MAX_ATTEMPTS starts). Its archive stays downloadable this many hours.
        "COURSE_TRANSFER_STALL_SECONDS": env_int("COURSE_TRANSFER_STALL_SECONDS", 3600),
        "COURSE_TRANSFER_MAX_ATTEMPTS": env_int("COURSE_TRANSFER_MAX_ATTEMPTS", 3),
        "COURSE_TRANSFER_KEEP_HOURS": env_int("COURSE_TRANSFER_KEEP_HOURS", 72),
        "MAX_VIDEO_SECONDS": env_int("MAX_VIDEO_SECONDS", 3 * 3600),
        # A PROCESSING lesson whose job reported no progress for this long is requeued (or failed
        # after MEDIA_MAX_ATTEMPTS) by the sweeper.
        "MEDIA_STALL_SECONDS": env_int("MEDIA_STALL_SECONDS", 1800),
        "MEDIA_MAX_ATTEMPTS": env_int("MEDIA_MAX_ATTEMPTS", 3),
        # s3 mode: browsers upload straight to the bucket; files above the threshold go in parts.
        "S3_MULTIPART_THRESHOLD": env_int("S3_MULTIPART_THRESHOLD", 64 * 1024**2),
        "S3_PART_BYTES": env_int("S3_PART_BYTES", 32 * 1024**2),
        "CLOUDFRONT_DOMAIN": os.environ.get("CLOUDFRONT_DOMAIN") or None,
        "CLOUDFRONT_KEY_ID": os.environ.get("CLOUDFRONT_KEY_ID") or None,
        # The PEM text itself, or a path to the PEM file.
        "CLOUDFRONT_PRIVATE_KEY": os.environ.get("CLOUDFRONT_PRIVATE_KEY") or None,
        "PAYMENT_PROVIDER": os.environ.get("PAYMENT_PROVIDER", "sandbox"),
        "PAYHERO_BASE_URL": os.environ.get("PAYHERO_BASE_URL", "https://backend.payhero.co.ke"),
        "PAYHERO_API_USERNAME": os.environ.get("PAYHERO_API_USERNAME") or None,
        "PAYHERO_API_PASSWORD": os.environ.get("PAYHERO_API_PASSWORD") or None,
        "PAYHERO_CHANNEL_ID": os.environ.get("PAYHERO_CHANNEL_ID") or None,
        "PAYMENT_CALLBACK_TOKEN": os.environ.get("PAYMENT_CALLBACK_TOKEN") or None,
        "PAYHERO_TIMEOUT_SECONDS": env_int("PAYHERO_TIMEOUT_SECONDS", 15),
        # Reverse proxies in front of the app whose X-Forwarded-* and X-Request-ID headers are believed;
        # with 0 they are ignored, so a client cannot forge its address past the per-IP limits.
        "TRUSTED_PROXIES": env_int("TRUSTED_PROXIES", 0),
        "LOG_FORMAT": os.environ.get("LOG_FORMAT") or ("json" if production else "text"),
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,
        "SENTRY_RELEASE": os.environ.get("SENTRY_RELEASE") or None,
        # Unset: /metrics answers 404. Prometheus sends it as a bearer token.
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        # Text messages: "console" prints them (development); "africastalking" sends them for real.
        "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", "console"),
        "AT_USERNAME": os.environ.get("AT_USERNAME") or None,
        "AT_API_KEY": os.environ.get("AT_API_KEY") or None,
        # The registered (transactional) sender id; unset, Africa's Talking sends from its default.
        "AT_SENDER_ID": os.environ.get("AT_SENDER_ID") or None,
        # Unset: the sandbox host when AT_USERNAME is "sandbox", else the live host.
        "AT_BASE_URL": os.environ.get("AT_BASE_URL") or None,
        "AT_TIMEOUT_SECONDS": env_int("AT_TIMEOUT_SECONDS", 10),
        # The secret in the delivery-report URL registered in the Africa's Talking dashboard.
        "SMS_CALLBACK_TOKEN": os.environ.get("SMS_CALLBACK_TOKEN") or None,
        "SMS_MAX_ATTEMPTS": env_int("SMS_MAX_ATTEMPTS", 3),
        # Each checkout sends a prompt to a phone: a cap per learner stops prompt spam.
        "CHECKOUT_RATE_LIMIT": os.environ.get("CHECKOUT_RATE_LIMIT", "6 per 10 minutes"),
    }
    return config


def check_production_safety(config: dict[str, Any]) -> None:
    """Refuse to serve real users with settings that would expose them."""
    if config["MWANZO_ENV"] != "production":
        return
    problems = []
    if not config.get("SECRET_KEY") or len(config["SECRET_KEY"]) < 32:
        problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
    if config.get("DEBUG"):
        problems.append("debug mode must be off (unset FLASK_DEBUG)")
    if config.get("PAYMENT_PROVIDER") == "sandbox":
        problems.append("PAYMENT_PROVIDER=sandbox is for development only")
    if config.get("PAYMENT_PROVIDER") == "payhero" and not config.get("PAYMENT_CALLBACK_TOKEN"):
        problems.append("PAYMENT_CALLBACK_TOKEN must be set so payment callbacks can be trusted")
    if config.get("SMS_PROVIDER") == "africastalking" and not (
            config.get("AT_USERNAME") and config.get("AT_API_KEY") and config.get("SMS_CALLBACK_TOKEN")):
        problems.append("SMS_PROVIDER=africastalking needs AT_USERNAME, AT_API_KEY and SMS_CALLBACK_TOKEN")
    if problems:
        raise InsecureConfiguration(
            "Refusing to start in production: " + "; ".join(problems) + "."
        )
