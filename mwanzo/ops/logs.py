"""Structured logs on stderr: one line per request and per job, tied together by a request id.

The request id comes from the trusted proxy's ``X-Request-ID`` (so nginx's access log and ours match),
else is generated; it is echoed in the response and travels with every job queued during the request.
"""
from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import sys
import time
import uuid

import sqlalchemy as sa
from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

HANDLER_NAME = "mwanzo-stderr"
# A proxy's id is copied into our logs: keep it to a short token so it cannot forge log lines.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
log = logging.getLogger("mwanzo.request")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the request id of the request or job it was logged in."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(log_format: str) -> logging.Handler:
    """One stderr handler on the root logger (replaced, not added, when the app is built again)."""
    if log_format not in ("json", "text"):
        raise ValueError("LOG_FORMAT must be json or text")
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter("{asctime}{levelname}{name}{message}{request_id}", style="{",
                                           rename_fields={"asctime": "time", "levelname": "level",
                                                          "name": "logger"}))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def incoming_request_id(trusted_proxies: int) -> str:
    sent = request.headers.get("X-Request-ID", "") if trusted_proxies else ""
    return sent if REQUEST_ID_PATTERN.match(sent) else uuid.uuid4().hex


def job_metadata() -> dict:
    """What a job queued now carries to the worker."""
    request_id = request_id_var.get()
    return {"request_id": request_id} if request_id else {}


@contextlib.contextmanager
def job_context(metadata: dict | None):
    """Restores a queued job's metadata around its run, so its log lines carry the request id."""
    token = request_id_var.set((metadata or {}).get("request_id"))
    try:
        yield
    finally:
        request_id_var.reset(token)


def route_of_request() -> str:
    """The URL rule ('/courses/<slug>'), not the raw path: bounded for logs and metric labels."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def signed_in_user_id() -> str | None:
    """The id of a user this request already loaded (loading one here would cost a query on every asset),
    read from the identity map: the row may be expired by the view's commit, and refreshing it costs one too."""
    user = g.get("_login_user")
    state = sa.inspect(user, raiseerr=False) if user is not None else None
    return str(state.identity[0]) if state is not None and state.identity else None


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_FORMAT"])

    @app.before_request
    def start_request_log() -> None:
        g.request_started = time.perf_counter()
        g.request_id = incoming_request_id(app.config["TRUSTED_PROXIES"])
        request_id_var.set(g.request_id)

    @app.after_request
    def write_request_log(response):
        started = g.get("request_started")
        if started is None:  # before_request never ran (an error raised ahead of it)
            return response
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        response.headers["X-Request-ID"] = g.request_id
        log.info("request", extra={
            "user_id": signed_in_user_id(), "method": request.method, "route": route_of_request(),
            "status": response.status_code, "duration_ms": duration_ms,
        })
        return response

    @app.teardown_request
    def forget_request_id(_error) -> None:
        # Threads serve one request after another: the next one's early log lines must not carry this id.
        request_id_var.set(None)
