"""The weekly progress report: exactly one per learner per ISO week, unsubscribe honoured."""
import threading
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from mwanzo.auth.models import User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.analytics import tasks, weekly
from mwanzo.notifications.models import EmailStatus, OutboundEmail
from tests.concurrency import run_together
from tests.emails import emails_to, link_in, tampered


@pytest.fixture
def due_now(settings):
    """Make the report due from the start of every week, so the task acts whatever day the suite runs."""
    settings(WEEKLY_REPORT_WEEKDAY=0, WEEKLY_REPORT_HOUR_UTC=0)


def active_learner(make, email, **kwargs):
    learner = make.user(email=email, **kwargs)
    make.enrollment(learner, make.course(title=f"Course for {email}"), status=EnrollmentStatus.ACTIVE,
                    last_activity_at=utcnow() - timedelta(days=1), progress_percent=40)
    return learner


def reports():
    return db.session.scalar(select(func.count()).select_from(OutboundEmail)
                             .where(OutboundEmail.template == "weekly_report"))


def test_running_twice_sends_one_report_per_active_learner(make, due_now):
    active_learner(make, "amani@example.com")
    active_learner(make, "baraka@example.com")
    idle = make.user(email="idle@example.com")
    make.enrollment(idle, make.course(), last_activity_at=utcnow() - timedelta(days=20))
    finished = make.user(email="done@example.com")
    make.enrollment(finished, make.course(), status=EnrollmentStatus.COMPLETED, last_activity_at=utcnow())
    active_learner(make, "optout@example.com", email_weekly_report=False)
    active_learner(make, "gone@example.com", is_active=False)

    assert tasks.send_weekly_reports() == 2
    assert tasks.send_weekly_reports() == 0
    assert reports() == 2
    [email] = emails_to("amani@example.com", "weekly_report")
    assert email.status == EmailStatus.SENT  # delivered by the email job after commit
    assert "Course for amani@example.com" in email.body_text and "40% done" in email.body_text
    year, week, _ = utcnow().isocalendar()
    assert email.dedupe_key.endswith(f"{year}-W{week:02d}")


def test_nothing_is_sent_before_the_report_is_due(app, make, settings):
    active_learner(make, "early@example.com")
    now = datetime(2026, 3, 2, 4, 59, tzinfo=timezone.utc)   # Monday 04:59 UTC; due from 05:00
    settings(WEEKLY_REPORT_WEEKDAY=0, WEEKLY_REPORT_HOUR_UTC=5)
    assert not weekly.report_due(now) and weekly.report_due(now + timedelta(minutes=1))
    assert weekly.report_due(now + timedelta(days=6))        # Sunday: still this week's window


def test_a_new_iso_week_gets_a_new_report(make):
    learner = active_learner(make, "weekly@example.com")
    monday = datetime(2026, 3, 2, 6, tzinfo=timezone.utc)
    for now in (monday, monday + timedelta(days=3), monday + timedelta(days=7)):
        weekly.send_report(learner.id, now)
        db.session.commit()
    keys = [e.dedupe_key for e in emails_to("weekly@example.com", "weekly_report")]
    assert keys == [f"weekly:{learner.id}:2026-W10", f"weekly:{learner.id}:2026-W11"]


def test_unsubscribe_link_works_without_login_and_is_honoured(app, client, make, due_now):
    learner = active_learner(make, "stop@example.com")
    tasks.send_weekly_reports()
    path = link_in(emails_to("stop@example.com", "weekly_report")[0], "/email/unsubscribe/")
    page = client.get(path)
    assert page.status_code == 200 and "Stop the weekly progress report?" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).email_weekly_report  # opening the link alone changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, learner.id).email_weekly_report
    # Next week: no report for this learner.
    next_week = utcnow() + timedelta(days=7)
    assert weekly.send_report(learner.id, next_week) is None
    assert learner.id not in weekly.recipient_ids(next_week)


def test_tampered_unsubscribe_tokens_are_refused(client, make):
    learner = make.user()
    token = weekly.unsubscribe_token(learner)
    assert client.post(f"/email/unsubscribe/{tampered(token)}").status_code == 404
    assert client.get("/email/unsubscribe/nonsense").status_code == 404
    db.session.expire_all()
    assert db.session.get(User, learner.id).email_weekly_report


def test_unsubscribe_form_needs_csrf(client, make, csrf_enabled):
    learner = make.user()
    path = f"/email/unsubscribe/{weekly.unsubscribe_token(learner)}"
    assert client.post(path).status_code == 400
    token = client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(path, data={"csrf_token": token}).status_code == 200


def test_profile_checkbox_turns_the_report_back_on(client, make, login):
    learner = login(make.user(email_weekly_report=False))
    client.post("/profile", data={"name": learner.name, "locale": "en", "email_weekly_report": "y"})
    db.session.expire_all()
    assert db.session.get(User, learner.id).email_weekly_report


# ---------------------------------------------------------------- PostgreSQL: concurrent runs

@pytest.mark.postgres
def test_concurrent_runs_send_exactly_once_on_postgres(app, make, postgres, due_now):
    learners = [active_learner(make, f"race{n}@example.com") for n in range(5)]

    def run(barrier):
        barrier.wait()
        tasks.send_weekly_reports()

    assert run_together(app, run, 4) == []
    assert reports() == len(learners)
    for learner in learners:
        assert len(emails_to(learner.email, "weekly_report")) == 1


@pytest.mark.postgres
def test_losing_the_insert_race_skips_quietly_on_postgres(app, make, postgres, due_now):
    """Another worker has inserted this week's row but not committed: our insert waits on the unique
    index, then fails once it commits; only our savepoint rolls back and no second email goes out."""
    learner = active_learner(make, "slow@example.com")
    key = weekly.dedupe_key(learner.id, utcnow())
    other = sa.create_engine(postgres)
    conn = other.connect()
    tx = conn.begin()
    conn.execute(sa.insert(OutboundEmail.__table__).values(
        id=uuid.uuid4(), to_address=learner.email, template="weekly_report", subject="s",
        body_text="b", body_html="h", status="SENT", attempts=1, dedupe_key=key,
        created_at=utcnow(), updated_at=utcnow()))
    result = {}

    def run():
        with app.app_context():
            try:
                result["sent"] = tasks.send_weekly_reports()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(1.5)
    assert thread.is_alive()  # blocked on the other transaction's uncommitted key
    tx.commit()
    thread.join(30)
    conn.close()
    other.dispose()
    assert result == {"sent": 0}
    assert reports() == 1
