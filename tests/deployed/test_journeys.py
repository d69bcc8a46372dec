"""Journeys through the deployed product: nginx (TLS) → gunicorn → RQ worker → SMTP, PayHero, S3."""
import html
import io
import re
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments.models import Payment, PaymentStatus
from tests import factories
from tests.deployed.conftest import BUCKET, form_post, wait_until

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]


def test_a_new_learner_verifies_their_email_through_the_starttls_mail_server(deployment, browser_session):
    registered = form_post(browser_session, f"{deployment.url}/register", {
        "name": "Wairimu Njoroge", "email": "wairimu@example.com", "password": "Kenya#2026",
        "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"}, allow_redirects=False)
    assert registered.status_code == 302, registered.text[:500]
    session_cookie = next(cookie for cookie in browser_session.cookies if cookie.name == "session")
    assert session_cookie.secure  # cookies stay Secure behind the TLS-terminating proxy

    message = deployment.wait_for_email("wairimu@example.com")
    text = message.get_payload(0).get_payload(decode=True).decode()
    [link] = re.findall(r"https://\S+/verify-email/\S+", text)
    assert link.startswith(deployment.url)
    verified = browser_session.get(link, timeout=30)
    assert verified.status_code == 200 and "your email address is verified" in verified.text
    with deployment.app_context():
        assert db.session.scalar(select(User.is_email_verified).where(User.email == "wairimu@example.com"))

    # The registration's request id (nginx's) is on its request line and on the worker's email job line.
    request_id = registered.headers["X-Request-ID"]
    [line] = [r for r in deployment.json_log("web") if r.get("message") == "request"
              and r.get("request_id") == request_id]
    assert line["route"] == "/register" and line["method"] == "POST" and line["status"] == 302
    wait_until(lambda: any(r.get("message") == "job" and r.get("request_id") == request_id
                           and r.get("task") == "mwanzo.notifications.tasks.deliver_email"
                           for r in deployment.json_log("worker")), 20, "the email job's log line")


def test_a_learner_pays_with_m_pesa_and_the_callback_enrols_them(deployment, browser_session):
    with deployment.app_context():
        course = factories.course(title="Bookkeeping for Duka Owners", price=Decimal("1200"))
        learner = factories.user(name="Kamau Mwangi", email="kamau@example.com")
        slug, learner_id = course.slug, learner.id
    logged_in = form_post(browser_session, f"{deployment.url}/login",
                          {"email": "kamau@example.com", "password": factories.PASSWORD}, allow_redirects=False)
    assert logged_in.status_code == 302, logged_in.text[:500]

    checkout = form_post(browser_session, f"{deployment.url}/courses/{slug}/checkout", {"phone": "0712345678"},
                         allow_redirects=False)
    assert checkout.status_code == 303, checkout.text[:500]
    [reference] = deployment.payhero.transactions
    assert deployment.payhero.answer(reference) == [200]  # PayHero's callback, over HTTPS through nginx

    def enrolled():
        with deployment.app_context():
            return db.session.scalar(select(Enrollment.status).where(Enrollment.student_id == learner_id))

    wait_until(lambda: enrolled() == EnrollmentStatus.ACTIVE, 30, "the enrolment")
    with deployment.app_context():
        payment = db.session.scalar(select(Payment).where(Payment.student_id == learner_id))
        assert payment.status == PaymentStatus.SUCCESS and payment.amount == Decimal("1200")
    status_page = browser_session.get(f"{deployment.url}{checkout.headers['Location']}", timeout=30)
    assert status_page.status_code == 200


def test_metrics_answer_through_nginx_with_the_token_only(deployment, browser_session):
    url = f"{deployment.url}/metrics"
    assert browser_session.get(url, timeout=30).status_code == 401
    assert browser_session.get(url, headers={"Authorization": "Bearer wrong"}, timeout=30).status_code == 403

    def healthz_count() -> float:
        text = browser_session.get(url, headers={"Authorization": f"Bearer {deployment.metrics_token}"},
                                   timeout=30).text
        found = re.search(r'mwanzo_http_request_duration_seconds_count\{route="/healthz",status="200"\} (\S+)', text)
        return float(found.group(1)) if found else 0.0

    before = healthz_count()
    for _ in range(6):  # spread over both gunicorn workers; multiprocess mode adds them up
        assert browser_session.get(f"{deployment.url}/healthz", timeout=30).status_code == 200
    assert healthz_count() - before == 6
    text = browser_session.get(url, headers={"Authorization": f"Bearer {deployment.metrics_token}"}, timeout=30).text
    assert 'mwanzo_job_queue_depth{queue="email"}' in text and 'mwanzo_payments{status="SUCCESS"}' in text


def test_an_instructors_thumbnail_goes_to_the_bucket_and_is_served_from_it(deployment, browser_session):
    with deployment.app_context():
        category_id = factories.category(name="Agriculture").id
        factories.instructor(email="njambi@example.com")
    form_post(browser_session, f"{deployment.url}/login",
              {"email": "njambi@example.com", "password": factories.PASSWORD}, allow_redirects=False)
    picture = io.BytesIO()
    Image.new("RGB", (800, 450), (11, 110, 79)).save(picture, "PNG")
    created = form_post(browser_session, f"{deployment.url}/studio/courses/new", {
        "title": "Drip Irrigation on Small Farms", "category_id": str(category_id), "level": "BEGINNER",
        "language": "English", "price": "800"}, files={"thumbnail": ("farm.png", picture.getvalue(), "image/png")},
        allow_redirects=False)
    assert created.status_code == 302, created.text[:500]
    stored = deployment.s3.list_objects_v2(Bucket=BUCKET, Prefix="courses/")["Contents"]
    assert any("/thumb/" in item["Key"] and item["Key"].endswith(".webp") for item in stored)

    builder = created.headers["Location"]
    edit_page = browser_session.get(f"{deployment.url}{builder}/edit", timeout=30)
    [image_url] = re.findall(r'<img src="([^"]+)"', edit_page.text)[:1]
    served = browser_session.get(f"{deployment.url}{html.unescape(image_url)}", timeout=30)  # read from the bucket
    assert served.status_code == 200 and Image.open(io.BytesIO(served.content)).size[0] in (320, 480, 640)
