from sqlalchemy import func, select

from mwanzo.careers.models import Job
from mwanzo.courses.models import Course, CourseStatus
from mwanzo.cli import DEMO_PASSWORD
from mwanzo.extensions import db
from mwanzo.quizzes.models import Quiz


def test_seed_demo_is_idempotent_and_its_logins_work(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "admin@example.com" in first.output
    counts = lambda: tuple(db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
                           for model in (Course, Quiz, Job))
    before = counts()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert counts() == before
    published = db.session.scalars(select(Course).where(Course.status == CourseStatus.PUBLISHED)).all()
    assert len(published) >= 12
    assert any(c.price == 0 for c in published) and any(c.price > 0 for c in published)
    response = client.post("/login", data={"email": "brian@example.com", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Free" in client.get("/").get_data(as_text=True)
    assert "Data entry clerk" in client.get("/jobs").get_data(as_text=True)


def test_healthz_checks_redis_when_configured(app, client, redis_url, settings):
    settings(REDIS_URL=redis_url)
    assert client.get("/healthz").get_json()["checks"] == {"database": "ok", "redis": "ok"}
    settings(REDIS_URL="redis://127.0.0.1:1/0")
    response = client.get("/healthz")
    assert response.status_code == 503 and response.get_json()["checks"]["redis"].startswith("error")


def test_server_errors_show_the_friendly_page(app):
    from mwanzo import create_app

    other = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @other.get("/_boom")
    def boom():
        raise RuntimeError("boom")

    response = other.test_client().get("/_boom")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)
