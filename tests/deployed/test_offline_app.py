"""The installable app through nginx over HTTPS: the service worker and the manifest are served so that a
phone installs them and picks up a new worker version, and the queue of offline changes a phone sends (again
and again, when it never heard back) is applied once."""
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mwanzo.courses.models import LessonKind
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from mwanzo.offline.models import OfflineReceipt
from tests import factories
from tests.deployed.conftest import form_post

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]

WORKER = Path(__file__).resolve().parents[2] / "mwanzo" / "static" / "js" / "sw.js"


def cache_directives(response) -> dict[str, str]:
    header = response.headers.get("Cache-Control", "")
    return dict((part.strip().partition("=")[::2]) for part in header.split(",") if part.strip())


def test_the_worker_and_manifest_reach_phones_and_new_worker_versions_do_too(deployment, browser_session):
    worker = browser_session.get(f"{deployment.url}/sw.js", headers={"Service-Worker": "script"}, timeout=30)
    assert worker.status_code == 200 and worker.content == WORKER.read_bytes()
    assert worker.headers["Content-Type"].split(";")[0] == "text/javascript"  # browsers refuse other types
    directives = cache_directives(worker)
    # Revalidated at every update check: a new version reaches phones at their next visit, not in a year.
    assert "no-cache" in directives or directives.get("max-age") == "0", worker.headers
    assert "immutable" not in directives and "public" not in directives
    # At the site root the worker may answer for every page without Service-Worker-Allowed.
    assert "Service-Worker-Allowed" not in worker.headers
    assert "worker-src 'self'" in worker.headers["Content-Security-Policy"]

    manifest = browser_session.get(f"{deployment.url}/manifest.webmanifest", timeout=30)
    assert manifest.status_code == 200
    assert manifest.headers["Content-Type"].split(";")[0] == "application/manifest+json"
    assert "immutable" not in cache_directives(manifest)
    body = manifest.json()
    assert body["scope"] == "/" and body["start_url"].startswith("/") and body["display"] == "standalone"
    for icon in body["icons"]:
        assert browser_session.get(f"{deployment.url}{icon['src']}", timeout=30).status_code == 200


def test_a_progress_save_queued_offline_and_sent_twice_over_https_is_applied_once(deployment, browser_session):
    with deployment.app_context():
        learner = factories.user(name="Achieng Odhiambo", email="achieng.offline@example.com")
        course = factories.course(title="Selling on WhatsApp")
        # No media needed: a progress save is about the position, which the lesson's length bounds.
        lesson = factories.lesson(factories.section(course), kind=LessonKind.VIDEO, body_markdown=None,
                                  title="Your catalogue", duration_seconds=100)
        learning.enroll_free(learner, course)
        db.session.commit()
        slug, lesson_id, learner_id = course.slug, lesson.id, learner.id
    logged_in = form_post(browser_session, f"{deployment.url}/login",
                          {"email": "achieng.offline@example.com", "password": factories.PASSWORD}, allow_redirects=False)
    assert logged_in.status_code == 302, logged_in.text[:500]
    page = browser_session.get(f"{deployment.url}/dashboard", timeout=30)
    [token] = re.findall(r'"X-CSRFToken": "([^"]+)"', page.text)

    items = [{"id": str(uuid.uuid4()), "kind": "progress", "slug": slug, "lesson_id": str(lesson_id), "position": p}
             for p in (2, 4)]

    def send():  # what sw.js sends: JSON, the page's CSRF token in X-CSRFToken, itself as the referrer
        return browser_session.post(f"{deployment.url}/saved/queue", json={"items": items}, timeout=30,
                                    headers={"X-CSRFToken": token, "Referer": f"{deployment.url}/sw.js"})

    first, second = send(), send()
    assert first.status_code == 200, first.text[:500]
    assert first.json()["outcomes"] == {item["id"]: "applied" for item in items}
    assert second.status_code == 200 and second.json()["outcomes"] == {item["id"]: "duplicate" for item in items}
    with deployment.app_context():
        assert db.session.scalar(select(VideoProgress.position_seconds).where(
            VideoProgress.student_id == learner_id, VideoProgress.lesson_id == lesson_id)) == 4
        assert db.session.scalar(select(func.count()).select_from(OfflineReceipt)
                                 .where(OfflineReceipt.user_id == learner_id)) == 2
