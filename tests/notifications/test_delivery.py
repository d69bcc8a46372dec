"""Emails leave through real servers: SMTP (aiosmtpd on loopback), SES (moto's server), via RQ."""
import pytest
from sqlalchemy import select

from mwanzo import jobs
from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.notifications import services
from mwanzo.notifications.models import EmailStatus, OutboundEmail
from tests.servers import Inbox, free_port, self_signed_certificate, start_smtp


@pytest.fixture
def smtp_inbox(app, settings):
    inbox = Inbox()
    controller = start_smtp(inbox)
    settings(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False)
    yield inbox
    controller.stop()


def queue_welcome(user: User) -> OutboundEmail:
    email = services.send_email(user.email, "welcome", user=user, verify_url="http://localhost/verify-email/abc")
    db.session.commit()
    return email


def test_smtp_backend_delivers_both_parts(make, smtp_inbox):
    user = make.user(email="learner@example.com", name="Wanjiku")
    email = queue_welcome(user)
    [message] = smtp_inbox.messages
    assert message["To"] == "learner@example.com"
    assert message["Subject"] == "Welcome to Mwanzo Skills Campus"
    parts = {part.get_content_type(): part.get_payload(decode=True).decode() for part in message.walk()
             if not part.is_multipart()}
    assert "Hello Wanjiku" in parts["text/plain"] and "<a href=" in parts["text/html"]
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT and email.attempts == 1


def test_unreachable_smtp_fails_the_job_in_the_sync_runner(app, make, settings):
    """Scripts and tests see a failing job fail: the sync runner raises what the task raised."""
    settings(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    user = make.user(email="offline@example.com")
    with pytest.raises(ConnectionRefusedError):
        queue_welcome(user)
    db.session.rollback()
    [email] = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == "offline@example.com"))
    assert email.status == EmailStatus.QUEUED and email.attempts == 1  # left for the queue's retry
    assert "ConnectionRefusedError" in email.last_error


def test_unreachable_smtp_is_retried_then_recorded_as_failed(app, make, settings):
    settings(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False,
             JOB_RUNNER="thread", THREAD_RETRY_SLEEP=False)
    email = queue_welcome(make.user())
    jobs.wait_for_background_jobs(app)
    db.session.refresh(email)
    assert email.status == EmailStatus.FAILED
    assert email.attempts == app.config["EMAIL_MAX_ATTEMPTS"]
    assert "ConnectionRefusedError" in email.last_error


@pytest.fixture
def starttls_server(app, tmp_path, settings):
    """An SMTP server that insists on STARTTLS with a self-signed certificate."""
    inbox = Inbox()
    certificate = self_signed_certificate(tmp_path)
    controller = start_smtp(inbox, certificate)
    settings(MAIL_BACKEND="smtp", SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=True)
    yield inbox, certificate[0]
    controller.stop()


def test_starttls_delivers_when_the_servers_certificate_is_trusted(app, make, starttls_server, settings):
    inbox, ca_file = starttls_server
    settings(SMTP_CA_FILE=str(ca_file))
    email = queue_welcome(make.user(email="tls@example.com"))
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT
    assert [message["To"] for message in inbox.messages] == ["tls@example.com"]


def test_starttls_refuses_a_certificate_nobody_vouches_for(app, make, starttls_server, settings):
    inbox, _ = starttls_server
    settings(JOB_RUNNER="thread", THREAD_RETRY_SLEEP=False)  # every attempt refused, then recorded
    email = queue_welcome(make.user())
    jobs.wait_for_background_jobs(app)
    db.session.refresh(email)
    assert email.status == EmailStatus.FAILED and "CERTIFICATE_VERIFY_FAILED" in email.last_error
    assert inbox.messages == []


def test_sent_email_is_not_sent_again_when_its_job_reruns(make, smtp_inbox):
    email = queue_welcome(make.user())
    services.deliver(email.id)
    assert len(smtp_inbox.messages) == 1


def test_ses_backend_sends_through_the_ses_api(app, make, settings):
    from moto.server import ThreadedMotoServer
    import boto3

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        ses = boto3.client("ses", region_name="us-east-1", endpoint_url=endpoint,
                           aws_access_key_id="test", aws_secret_access_key="test")
        ses.verify_email_identity(EmailAddress="no-reply@mwanzo.example")
        settings(MAIL_BACKEND="ses", SES_ENDPOINT_URL=endpoint, AWS_REGION="us-east-1",
                 MAIL_FROM="no-reply@mwanzo.example")
        import os
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
        email = queue_welcome(make.user())
        db.session.refresh(email)
        assert email.status == EmailStatus.SENT
        assert ses.get_send_quota()["SentLast24Hours"] == 1
    finally:
        server.stop()


def test_thread_runner_sends_in_the_background_after_commit(app, make, capsys, settings):
    settings(JOB_RUNNER="thread")
    email = queue_welcome(make.user(email="bg@example.com"))
    jobs.wait_for_background_jobs(app)
    db.session.refresh(email)
    assert email.status == EmailStatus.SENT
    assert "email to bg@example.com" in capsys.readouterr().out


def test_rolled_back_transaction_sends_nothing(make, capsys):
    user = make.user()
    services.send_email(user.email, "welcome", user=user, verify_url="http://x/")
    db.session.rollback()
    assert "email to" not in capsys.readouterr().out
    assert db.session.query(OutboundEmail).count() == 0


@pytest.mark.redis
def test_email_job_goes_through_redis_and_a_real_rq_worker(app, make, redis_url, capsys, settings):
    from redis import Redis
    from rq import SimpleWorker

    settings(JOB_RUNNER="rq", REDIS_URL=redis_url, RQ_QUEUE_PREFIX=f"test-{id(app)}-")
    email = queue_welcome(make.user(email="rq@example.com"))
    queue = jobs.rq_queue("email")
    assert queue.count == 1  # queued, not yet sent
    db.session.refresh(email)
    assert email.status == EmailStatus.QUEUED
    SimpleWorker([queue], connection=Redis.from_url(redis_url)).work(burst=True)
    db.session.expire_all()
    assert db.session.get(OutboundEmail, email.id).status == EmailStatus.SENT
    assert "email to rq@example.com" in capsys.readouterr().out
