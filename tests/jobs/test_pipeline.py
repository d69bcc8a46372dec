"""The job pipeline as production runs it: `flask scheduler` and `python worker.py` processes on real Redis
and PostgreSQL, with jobs written to the outbox so that a Redis outage at commit time loses none; and the
embedded default, where the web process runs the periodic tasks itself."""
from __future__ import annotations

import socket
import threading
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import current_app
from rq.cron import CronScheduler
from sqlalchemy import select, update

from mwanzo import jobs
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import scheduler
from mwanzo.jobs.models import OutboxJob
from mwanzo.jobs.tasks import relay_outbox
from mwanzo.auth.models import Role
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.notifications.models import EmailStatus
from mwanzo.payments import payouts, refunds
from mwanzo.payments.models import Payment, PaymentStatus, Payout, PayoutStatus, RefundRequest
from tests.emails import emails_to
from tests.payments.conftest import callback_path
from tests.payments.test_reconciliation import age
from tests.payments.test_payout_reconciliation import sent_minutes_ago
from tests.processes import wait_for


def status_of(payment: Payment) -> PaymentStatus:
    db.session.rollback()  # end the read transaction: see what the processes committed since
    return db.session.get(Payment, payment.id, populate_existing=True).status


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.postgres
@pytest.mark.redis
def test_scheduler_and_worker_settle_a_lost_callback_and_expire_a_silent_payment(
        pipeline, checkout, payhero, make, client):
    paid = checkout()
    payhero.answer(paid.provider_reference, send=False)  # the learner paid; the callback never came
    age(paid, 2)
    silent = checkout(learner=make.user(name="Juma Otieno", email="juma@example.com"))
    age(silent, 16)  # no answer at all, past the 15-minute window

    pipeline.start("scheduler", "worker")
    pipeline.wait_for(lambda: status_of(paid) == PaymentStatus.SUCCESS)
    assert status_of(silent) == PaymentStatus.EXPIRED
    assert db.session.get(Enrollment, paid.enrollment_id).status == EnrollmentStatus.ACTIVE
    # The receipt email the reconciliation queued went through the outbox to the worker too.
    pipeline.wait_for(lambda: db.session.rollback() or [
        email.status for email in emails_to("njeri@example.com", "payment_receipt")] == [EmailStatus.SENT])

    health = client.get("/healthz").get_json()
    assert health["status"] == "ok"
    last_tick = datetime.fromisoformat(health["jobs"]["scheduler_last_tick"])
    assert utcnow() - last_tick < timedelta(seconds=60)
    assert health["jobs"]["outbox_undelivered"] == 0
    assert set(health["jobs"]["queues"]) == {"transcode", "email", "default"}


@pytest.mark.postgres
@pytest.mark.redis
def test_scheduler_and_worker_settle_a_payout_and_a_refund_whose_callbacks_were_lost(pipeline, payhero, make):
    admin = make.user(role=Role.ADMIN)
    instructor = make.user(role=Role.INSTRUCTOR)
    course = make.course(instructor_id=instructor.id, price=1000)
    learner = make.user(email="njeri@example.com")
    paid = make.payment(make.enrollment(learner, course), "1000", PaymentStatus.SUCCESS, settled_at=utcnow(),
                        mpesa_receipt="SKQ96C7K7H", platform_share_percent=30)
    make.payment(make.enrollment(make.user(), course), "1000", PaymentStatus.SUCCESS, settled_at=utcnow(),
                 platform_share_percent=30)
    payout = payouts.request_payout(instructor, Decimal("700"), "254712345678")  # of 1,400 earned
    payouts.approve(payout, admin)
    refund = RefundRequest(payment_id=paid.id, student_id=learner.id, reason="Not for me", watched_percent=0)
    db.session.add(refund)
    db.session.flush()
    refunds.approve(refund, admin, "Fair")
    db.session.commit()  # both sent to the local PayHero by their jobs (JOB_RUNNER=sync here)
    transfers = db.session.scalars(select(Payout)).all()
    assert {t.status for t in transfers} == {PayoutStatus.SENT} and len(transfers) == 2
    for transfer in transfers:
        payhero.settle(transfer.provider_reference)  # paid, but neither callback ever arrives
        sent_minutes_ago(transfer, 2)

    pipeline.start("scheduler", "worker")
    pipeline.wait_for(lambda: db.session.rollback() or {
        t.status for t in db.session.scalars(select(Payout).execution_options(populate_existing=True))}
        == {PayoutStatus.PAID})
    assert db.session.get(RefundRequest, refund.id, populate_existing=True).sent_at is not None
    assert payouts.balance(instructor.id) == 0  # 700 earned on the sale that stayed, paid out
    assert len(payhero.withdrawals()) == 2


@pytest.mark.postgres
@pytest.mark.redis
def test_two_schedulers_enqueue_each_tick_once(pipeline, payhero):
    schedulers = pipeline.start("scheduler", "scheduler")
    pids = {process.pid for process in schedulers}
    connection = jobs.redis_connection()
    intervals = {task.name: task.interval(current_app.config).total_seconds() for task in jobs.periodic_tasks()}
    relay = jobs.task_name(relay_outbox)

    def enqueued_ticks() -> Counter:
        return Counter((job.args[0], job.enqueued_at.timestamp() // intervals[job.args[0]])
                       for job in jobs.rq_queue("default").get_jobs())

    def both_handled_a_second_relay_tick() -> bool:
        relay_ticks = sorted(tick for task, tick in enqueued_ticks() if task == relay)
        # Each scheduler records the last tick it handled (enqueued, or found already claimed).
        handled = [job.latest_enqueue_time.timestamp() // job.interval
                   for scheduler in CronScheduler.all(connection) if scheduler.pid in pids
                   for job in scheduler.get_jobs() if job.name == relay and job.latest_enqueue_time]
        return len(relay_ticks) >= 2 and len(handled) == 2 and min(handled) >= relay_ticks[-1]

    pipeline.wait_for(both_handled_a_second_relay_tick, 45)
    ticks = enqueued_ticks()
    assert set(ticks.values()) == {1}, ticks  # no tick of any task enqueued twice
    assert {task for task, _ in ticks} == set(intervals)  # and every periodic task enqueued


@pytest.mark.postgres
@pytest.mark.redis
def test_a_callback_committed_while_redis_is_down_is_settled_once_it_is_back(
        pipeline, checkout, payhero, client):
    payment = checkout()
    pipeline.use_redis(f"redis://127.0.0.1:{closed_port()}/0")
    response = client.post(callback_path(), json=payhero.settle(payment.provider_reference))
    assert response.status_code == 200  # PayHero is told we have it: it will not send it again
    [row] = db.session.scalars(select(OutboxJob))
    assert row.task == "mwanzo.payments.tasks.settle_callback" and row.delivered_at is None
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["jobs"]["outbox_undelivered"] == 1

    # The outage outlasted the hand-over at commit: the relay picks the row up.
    db.session.execute(update(OutboxJob).values(created_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    pipeline.start("scheduler", "worker")
    pipeline.wait_for(lambda: status_of(payment) == PaymentStatus.SUCCESS)
    db.session.refresh(row)
    assert row.delivered_at is not None
    # The settling job's own emails follow through the outbox as soon as their commit is handed over.
    pipeline.wait_for(lambda: client.get("/healthz").get_json()["jobs"]["outbox_undelivered"] == 0, 10)


def test_without_redis_the_web_process_runs_the_periodic_tasks_itself(app, checkout, payhero, client, settings):
    silent = checkout()
    age(silent, 16)
    settings(JOB_RUNNER="thread", THREAD_RETRY_SLEEP=False)  # the embedded default (`make run`)
    stop = threading.Event()
    ticking = scheduler.start_in_process(app, stop)
    try:
        assert wait_for(lambda: status_of(silent) == PaymentStatus.EXPIRED, 30)
        health = client.get("/healthz").get_json()["jobs"]
        assert utcnow() - datetime.fromisoformat(health["scheduler_last_tick"]) < timedelta(seconds=30)
    finally:
        stop.set()
        ticking.join(5)
        jobs.wait_for_background_jobs(app)
        app.extensions.pop(scheduler.LAST_TICK)
        del app.config["THREAD_RETRY_SLEEP"]
