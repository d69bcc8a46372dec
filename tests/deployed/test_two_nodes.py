"""Two gunicorn nodes behind one nginx, sharing PostgreSQL, Redis and the S3 bucket: whatever one node
starts (a session, a rate limit, an upload, a job) the other sees. Each step goes to one node's own nginx
port and checks, from that node's request log, that it was that node which answered."""
import html
import re
import socket

import pytest
from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, CourseStatus, LessonKind
from mwanzo.database import utcnow
from mwanzo.extensions import db
from tests import factories
from tests.deployed.conftest import CSRF_INPUT, form_post, wait_until
from tests.media.clips import make_clip

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]


def served_by(deployment, response) -> str:
    """The node (process name) whose request log holds this response's request id."""
    request_id = response.headers["X-Request-ID"]
    return wait_until(lambda: next((name for name in deployment.web_ports if any(
        line.get("message") == "request" and line.get("request_id") == request_id
        for line in deployment.json_log(name))), None), 10, f"the request line of {request_id}")


def log_in(session, node: str, email: str):
    answer = form_post(session, f"{node}/login", {"email": email, "password": factories.PASSWORD},
                       allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return answer


def log_out(session, node: str):
    """The header's "Log out" button: a POST with the page's CSRF token."""
    page = session.get(f"{node}/dashboard", timeout=30)
    answer = session.post(f"{node}/logout", data={"csrf_token": CSRF_INPUT.search(page.text).group(1)},
                          headers={"Referer": f"{node}/dashboard"}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:500]
    return answer


def test_nginx_spreads_requests_over_both_nodes_which_listen_on_loopback_only(deployment, nodes, browser_session):
    answered = [served_by(deployment, browser_session.get(f"{deployment.url}/healthz", timeout=30)) for _ in range(4)]
    assert set(answered) == {"web", "web-b"}  # the public URL reaches both nodes
    for port in deployment.web_ports.values():
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
        with pytest.raises(ConnectionRefusedError):  # BIND=127.0.0.1: only nginx on this machine reaches gunicorn
            socket.create_connection(("127.0.0.2", port), timeout=5)


def test_a_sign_in_on_node_a_holds_on_node_b_and_logging_out_there_ends_it_on_a(deployment, nodes, browser_session):
    node_a, node_b = nodes
    with deployment.app_context():
        factories.user(name="Achieng Otieno", email="achieng.nodes@example.com")
    assert served_by(deployment, log_in(browser_session, node_a, "achieng.nodes@example.com")) == "web"
    signed_in_cookie = browser_session.cookies["session"]

    dashboard = browser_session.get(f"{node_b}/dashboard", allow_redirects=False, timeout=30)
    assert dashboard.status_code == 200 and "Log out" in dashboard.text
    assert served_by(deployment, dashboard) == "web-b"

    assert served_by(deployment, log_out(browser_session, node_b)) == "web-b"
    # The cookie as it was while signed in (another tab, or a copy) no longer signs anyone in on node A.
    replayed = browser_session.get(f"{node_a}/dashboard", cookies={"session": signed_in_cookie},
                                   allow_redirects=False, timeout=30)
    assert replayed.status_code == 302 and replayed.headers["Location"].startswith("/login")
    assert served_by(deployment, replayed) == "web"


def test_failed_logins_counted_on_node_a_are_refused_on_node_b(deployment, nodes, browser_session):
    node_a, node_b = nodes
    with deployment.app_context():
        factories.user(email="otieno.nodes@example.com")
        factories.user(email="nekesa.nodes@example.com")
    for _ in range(5):  # LOGIN_PAIR_RATE_LIMIT: 5 failures per (address, account) in 15 minutes
        wrong = form_post(browser_session, f"{node_a}/login", {"email": "otieno.nodes@example.com", "password": "guess-1234"})
        assert wrong.status_code == 422 and served_by(deployment, wrong) == "web"

    refused = form_post(browser_session, f"{node_b}/login",
                        {"email": "otieno.nodes@example.com", "password": factories.PASSWORD}, allow_redirects=False)
    assert refused.status_code == 429 and "Too many attempts" in refused.text, refused.text[:500]
    assert served_by(deployment, refused) == "web-b" and int(refused.headers["Retry-After"]) > 0
    # Counted per (address, account): another account from the same address still signs in on node B.
    assert served_by(deployment, log_in(browser_session, node_b, "nekesa.nodes@example.com")) == "web-b"


def test_a_video_uploaded_on_node_a_is_transcoded_by_the_worker_and_plays_from_node_b(
        deployment, nodes, browser_session, tmp_path):
    node_a, node_b = nodes
    with deployment.app_context():
        course = factories.draft_course(factories.instructor(email="wanjiru.nodes@example.com"),
                                        title="Poultry Keeping Basics")
        lesson = factories.lesson(factories.section(course), kind=LessonKind.VIDEO, body_markdown=None,
                                  title="Building a chicken coop")
        factories.user(email="mutua.nodes@example.com")
        course_id, slug, lesson_id = course.id, course.slug, lesson.id

    # The instructor's browser, as upload.js drives it: start on the app, PUT to the bucket, complete.
    log_in(browser_session, node_a, "wanjiru.nodes@example.com")
    edit_url = f"{node_a}/studio/lessons/{lesson_id}/edit"
    page = browser_session.get(edit_url, timeout=30).text
    upload_form = re.search(r'<form [^>]*class="upload"[^>]*>', page).group(0)
    assert 'data-upload-mode="s3"' in upload_form
    start_url, complete_url = (html.unescape(re.search(f'{name}="([^"]+)"', upload_form).group(1))
                               for name in ("data-start-url", "data-complete-url"))
    headers = {"X-CSRFToken": CSRF_INPUT.search(page).group(1), "Accept": "application/json", "Referer": edit_url}
    video = make_clip(tmp_path / "coop.mp4").read_bytes()
    plan = browser_session.post(f"{node_a}{start_url}", json={"filename": "coop.mp4", "size": len(video)},
                                headers=headers, timeout=30)
    assert plan.status_code == 200, plan.text[:500]
    assert browser_session.put(plan.json()["url"], data=video, timeout=60).status_code == 200
    completed = browser_session.post(f"{node_a}{complete_url}", json={"key": plan.json()["key"]}, headers=headers,
                                     timeout=30)
    assert completed.status_code == 200 and served_by(deployment, completed) == "web", completed.text[:500]

    # The status fragment, polled as htmx does, through node B, until the worker has transcoded the video.
    def final_status():
        fragment = browser_session.get(f"{node_b}{completed.json()['status_url']}", headers={"HX-Request": "true"},
                                       timeout=30)
        return fragment if 'hx-trigger="every 2s"' not in fragment.text else None

    fragment = wait_until(final_status, 180, "the worker to transcode the video", interval=2)
    assert 'data-status="READY"' in fragment.text and "Ready" in fragment.text, fragment.text[:500]
    assert served_by(deployment, fragment) == "web-b"

    with deployment.app_context():  # the course goes live and the learner enrols
        live = db.session.get(Course, course_id)
        live.status, live.published_at = CourseStatus.PUBLISHED, utcnow()
        db.session.commit()
        factories.enrollment(db.session.scalar(select(User).where(User.email == "mutua.nodes@example.com")), live)
    log_out(browser_session, node_a)
    log_in(browser_session, node_b, "mutua.nodes@example.com")
    lesson_page = browser_session.get(f"{node_b}/learn/{slug}/lessons/{lesson_id}", timeout=30)
    assert lesson_page.status_code == 200 and lesson_page.headers["Content-Type"].startswith("text/html")
    master_url = html.unescape(re.search(r'data-src="([^"]+)"', lesson_page.text).group(1))
    master = browser_session.get(f"{node_b}{master_url}", timeout=30)
    assert master.status_code == 200 and master.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    assert master.text.startswith("#EXTM3U") and served_by(deployment, master) == "web-b"
    variant_url = next(line for line in master.text.splitlines() if line.startswith("/"))
    variant = browser_session.get(f"{node_b}{variant_url}", timeout=30)
    assert variant.status_code == 200 and variant.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    # Segments come straight from the bucket, on URLs node B signed.
    segment_url = next(line for line in variant.text.splitlines() if line and not line.startswith("#"))
    assert segment_url.startswith(deployment.s3_endpoint)
    segment = browser_session.get(segment_url, timeout=30)
    assert segment.status_code == 200 and segment.headers["Content-Type"] == "video/iso.segment"
    assert len(segment.content) > 1000


def test_a_verification_email_queued_on_node_a_is_sent_by_the_worker_and_verifies_on_node_b(
        deployment, nodes, browser_session):
    node_a, node_b = nodes
    registered = form_post(browser_session, f"{node_a}/register", {
        "name": "Baraka Kiprono", "email": "baraka.nodes@example.com", "password": "Eldoret#2026",
        "confirm": "Eldoret#2026", "role": "STUDENT", "consent": "y"}, allow_redirects=False)
    assert registered.status_code == 302 and served_by(deployment, registered) == "web", registered.text[:500]

    message = deployment.wait_for_email("baraka.nodes@example.com")
    request_id = registered.headers["X-Request-ID"]
    wait_until(lambda: any(line.get("message") == "job" and line.get("request_id") == request_id
                           and line.get("task") == "mwanzo.notifications.tasks.deliver_email"
                           for line in deployment.json_log("worker")), 20, "the email job's log line")
    [link] = re.findall(r"https://\S+/verify-email/\S+", message.get_payload(0).get_payload(decode=True).decode())
    verified = browser_session.get(link.replace(deployment.url, node_b, 1), timeout=30)
    assert verified.status_code == 200 and "your email address is verified" in verified.text
    assert served_by(deployment, verified.history[0]) == "web-b"
    with deployment.app_context():
        assert db.session.scalar(select(User.is_email_verified).where(User.email == "baraka.nodes@example.com"))
