"""Request and job logs: one JSON line each, tied together by the request id."""
import io
import json

import pytest

from mwanzo.ops.logs import configure_logging


@pytest.fixture
def json_log(app):
    """The app's stderr handler switched to JSON and read back as parsed lines."""
    buffer = io.StringIO()
    configure_logging("json").setStream(buffer)
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    configure_logging(app.config["LOG_FORMAT"])


@pytest.fixture
def behind_proxy(app, settings):
    settings(TRUSTED_PROXIES=1)
    yield


def request_lines(lines):
    return [line for line in lines if line["message"] == "request"]


def test_each_request_logs_one_json_line_with_its_rule_user_status_and_time(client, login, make, json_log):
    learner = login(make.user())
    course = make.course()
    response = client.get(f"/courses/{course.slug}")
    [line] = request_lines(json_log())
    assert response.status_code == 200
    assert line["request_id"] == response.headers["X-Request-ID"] and len(line["request_id"]) == 32
    assert line["route"] == "/courses/<slug>" and line["method"] == "GET" and line["status"] == 200
    assert line["user_id"] == str(learner.id) and line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0


def test_unknown_paths_and_anonymous_visitors_are_logged_without_the_raw_path(client, json_log):
    client.get("/no/such/page/4f2a")
    [line] = request_lines(json_log())
    assert line["status"] == 404 and line["route"] == "<unmatched>" and line["user_id"] is None


def test_a_trusted_proxys_request_id_is_kept_and_echoed(client, behind_proxy, json_log):
    response = client.get("/healthz", headers={"X-Request-ID": "nginx-7f3a9c"})
    assert response.headers["X-Request-ID"] == "nginx-7f3a9c"
    assert request_lines(json_log())[0]["request_id"] == "nginx-7f3a9c"


def test_a_request_id_from_the_open_internet_is_not_believed(client, json_log):
    response = client.get("/healthz", headers={"X-Request-ID": "forged-id"})
    assert response.headers["X-Request-ID"] != "forged-id"


def test_a_proxy_id_that_could_forge_log_lines_is_replaced(client, behind_proxy):
    response = client.get("/healthz", headers={"X-Request-ID": 'x" level="ERROR'})
    assert response.headers["X-Request-ID"] != 'x" level="ERROR'


def test_a_job_queued_by_a_request_logs_that_requests_id(client, json_log):
    response = client.post("/register", data={
        "name": "Achieng Otieno", "email": "achieng@example.com", "password": "Kenya#2026",
        "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"})
    assert response.status_code == 302
    lines = json_log()
    [job] = [line for line in lines if line["message"] == "job"]
    assert job["task"] == "mwanzo.notifications.tasks.deliver_email" and job["outcome"] == "ok"
    assert job["request_id"] == response.headers["X-Request-ID"]
    assert request_lines(lines)[0]["request_id"] == job["request_id"]


@pytest.mark.redis
def test_the_request_id_travels_with_the_job_through_redis_to_the_worker(app, client, redis_url, json_log, settings):
    from redis import Redis
    from rq import SimpleWorker

    from mwanzo import jobs

    settings(JOB_RUNNER="rq", REDIS_URL=redis_url, RQ_QUEUE_PREFIX=f"logs-{id(app)}-")
    response = client.post("/register", data={
        "name": "Baraka Mwangi", "email": "baraka@example.com", "password": "Kenya#2026",
        "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"})
    queue = jobs.rq_queue("email")
    assert queue.count == 1
    SimpleWorker([queue], connection=Redis.from_url(redis_url)).work(burst=True)
    [job] = [line for line in json_log() if line["message"] == "job"]
    assert job["outcome"] == "ok" and job["request_id"] == response.headers["X-Request-ID"]


def test_a_request_refused_before_its_view_is_still_logged(client, csrf_enabled, json_log):
    response = client.post("/login", data={"email": "someone@example.com", "password": "x"})
    assert response.status_code == 400
    [line] = request_lines(json_log())
    assert line["route"] == "/login" and line["status"] == 400
    assert line["request_id"] == response.headers["X-Request-ID"]
