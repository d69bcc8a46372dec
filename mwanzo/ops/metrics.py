"""Prometheus metrics at /metrics, behind the METRICS_TOKEN bearer token (404 while it is unset).

Request latency is counted in each process; under gunicorn, PROMETHEUS_MULTIPROC_DIR (read by
prometheus_client itself) makes the workers share it through files. Queue depths, failed jobs, payments
and emails are read from Redis and the database at scrape time, so every worker reports the same.
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

REQUEST_SECONDS = Histogram(
    "mwanzo_http_request_duration_seconds", "Time to answer a request, by URL rule and status.",
    ["route", "status"], registry=None,
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


class StateCollector:
    """Gauges read at scrape time: RQ queue depths and failed jobs, payments and emails by status."""

    def collect(self):
        from mwanzo.notifications.models import EmailStatus, OutboundEmail
        from mwanzo.payments.models import Payment, PaymentStatus

        yield from self.job_queues()
        yield self.by_status("mwanzo_payments", "Payments by status.", Payment.status, PaymentStatus)
        yield self.by_status("mwanzo_emails", "Emails by delivery status.", OutboundEmail.status, EmailStatus)

    @staticmethod
    def by_status(name: str, documentation: str, column, statuses) -> GaugeMetricFamily:
        counts = dict(db.session.execute(select(column, func.count()).group_by(column)).all())
        family = GaugeMetricFamily(name, documentation, labels=["status"])
        for status in statuses:
            family.add_metric([status.value], counts.get(status, 0))
        return family

    @staticmethod
    def job_queues():
        if current_app.config["JOB_RUNNER"] != "rq":
            return
        from mwanzo import jobs

        depth = GaugeMetricFamily("mwanzo_job_queue_depth", "Jobs waiting in each RQ queue.", labels=["queue"])
        failed = GaugeMetricFamily("mwanzo_jobs_failed", "Jobs in each RQ queue's failed registry.",
                                   labels=["queue"])
        connection = jobs.redis_connection()
        for name in jobs.QUEUES:
            queue = jobs.rq_queue(name, connection)
            depth.add_metric([name], queue.count)
            failed.add_metric([name], queue.failed_job_registry.count)
        yield depth
        yield failed


def scrape_registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(StateCollector())
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
