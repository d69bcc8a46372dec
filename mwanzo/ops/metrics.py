"""Prometheus metrics at /metrics, behind the METRICS_TOKEN bearer token (404 while it is unset).

Request latency is counted in each process; under gunicorn, PROMETHEUS_MULTIPROC_DIR (read by
prometheus_client itself) makes the workers share it through files. Queue depths, failed jobs, payments
and emails are read from Redis and the database at scrape time, so every worker reports the same; the app
factory registers those gauges (``register_gauges``).
"""
from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from mwanzo.extensions import db
from mwanzo.ops.logs import route_of_request

bp = Blueprint("ops", __name__)
GAUGES_KEY = "mwanzo_gauges"

REQUEST_SECONDS = Histogram(
    "mwanzo_http_request_duration_seconds", "Time to answer a request, by URL rule and status.",
    ["route", "status"], registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def status_gauge(name: str, documentation: str, column, statuses):
    """A gauge of rows by status (``column`` an enum column, ``statuses`` its enum), read at scrape time."""
    def collect():
        counts = dict(db.session.execute(select(column, func.count()).group_by(column)).all())
        family = GaugeMetricFamily(name, documentation, labels=["status"])
        for status in statuses:
            family.add_metric([status.value], counts.get(status, 0))
        yield family

    return collect


def register_gauges(app: Flask, *gauges) -> None:
    """Gauges of the domains, each a callable yielding metric families at scrape time. The app factory
    registers them (ops knows no domain)."""
    app.extensions.setdefault(GAUGES_KEY, []).extend(gauges)


class StateCollector:
    """What the registered gauges read at scrape time (queue depths, failed jobs, payments, emails)."""

    def __init__(self, gauges):
        self.gauges = gauges

    def collect(self):
        for gauge in self.gauges:
            yield from gauge()


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(StateCollector(current_app.extensions.get(GAUGES_KEY, [])))
    return registry


@bp.get("/metrics")
def metrics():
    token = current_app.config["METRICS_TOKEN"]
    if not token:
        abort(404)
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not sent:
        abort(Response("Bearer token required\n", 401, {"WWW-Authenticate": "Bearer"}))
    if not hmac.compare_digest(sent.encode(), token.encode()):
        abort(403)
    return Response(generate_latest(scrape_registry()), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.after_request
    def observe_latency(response):
        started = g.get("request_started")
        if started is not None:
            REQUEST_SECONDS.labels(route_of_request(), str(response.status_code)).observe(
                time.perf_counter() - started)
        return response
