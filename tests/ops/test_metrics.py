"""/metrics: guarded by a bearer token; latency by route and status, and state read at scrape time."""
import uuid

import pytest
from prometheus_client.parser import text_string_to_metric_families

from mwanzo.learning.models import EnrollmentStatus
from mwanzo.payments.models import PaymentStatus

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture
def metrics_token(app, settings):
    settings(METRICS_TOKEN=TOKEN)
    yield TOKEN


def scrape(client) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def sample(samples, name, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0)


def test_metrics_need_the_configured_bearer_token(app, client, settings):
    assert client.get("/metrics").status_code == 404  # nothing to find while no token is configured
    settings(METRICS_TOKEN=TOKEN)
    missing = client.get("/metrics")
    wrong = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    basic = client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
    right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert wrong.status_code == 403 and basic.status_code == 401
    assert right.status_code == 200 and "mwanzo_payments" in right.get_data(as_text=True)


def test_request_latency_is_counted_by_route_and_status(client, make, metrics_token):
    course = make.course()
    before = scrape(client)
    for _ in range(3):
        assert client.get(f"/courses/{course.slug}").status_code == 200
    assert client.get("/courses/no-such-course").status_code == 404
    after = scrape(client)
    count = "mwanzo_http_request_duration_seconds_count"
    assert sample(after, count, route="/courses/<slug>", status="200") - \
        sample(before, count, route="/courses/<slug>", status="200") == 3
    assert sample(after, count, route="/courses/<slug>", status="404") - \
        sample(before, count, route="/courses/<slug>", status="404") == 1
    assert sample(after, "mwanzo_http_request_duration_seconds_bucket", route="/courses/<slug>", status="200",
                  le="+Inf") >= 3


def test_payments_and_emails_are_counted_by_status(client, make, metrics_token):
    course = make.course()
    for status in (PaymentStatus.SUCCESS, PaymentStatus.SUCCESS, PaymentStatus.PENDING):
        enrolment = make.enrollment(make.user(), course, status=EnrollmentStatus.PENDING_PAYMENT)
        make.payment(enrolment, "1500", status)
    client.post("/register", data={"name": "Achieng Otieno", "email": "achieng@example.com",
                                   "password": "Kenya#2026", "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"})
    samples = scrape(client)
    assert sample(samples, "mwanzo_payments", status="SUCCESS") == 2
    assert sample(samples, "mwanzo_payments", status="PENDING") == 1
    assert sample(samples, "mwanzo_payments", status="FAILED") == 0
    assert sample(samples, "mwanzo_emails", status="SENT") == 1


@pytest.mark.redis
def test_queue_depth_and_failed_jobs_are_read_from_redis(app, client, redis_url, metrics_token, settings):
    from redis import Redis
    from rq import SimpleWorker

    from mwanzo import jobs

    settings(JOB_RUNNER="rq", REDIS_URL=redis_url, RQ_QUEUE_PREFIX=f"metrics-{uuid.uuid4().hex}-")
    email_queue = jobs.rq_queue("email")
    email_queue.enqueue(jobs.run_task, "mwanzo.notifications.tasks.deliver_email", "not-a-uuid")
    email_queue.enqueue(jobs.run_task, "mwanzo.notifications.tasks.deliver_email", "not-a-uuid")
    waiting = scrape(client)
    assert sample(waiting, "mwanzo_job_queue_depth", queue="email") == 2
    assert sample(waiting, "mwanzo_job_queue_depth", queue="transcode") == 0
    SimpleWorker([email_queue], connection=Redis.from_url(redis_url)).work(burst=True)
    worked = scrape(client)
    assert sample(worked, "mwanzo_job_queue_depth", queue="email") == 0
    assert sample(worked, "mwanzo_jobs_failed", queue="email") == 2
