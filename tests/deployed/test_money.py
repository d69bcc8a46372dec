"""The money journeys as deployed: M-Pesa through PayHero, settled by the worker and the scheduler's
reconciliation, with nothing driven from inside the product (README, Payments)."""
import contextlib
import re
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from rq import Queue, Worker
from rq.job import Job
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.notifications.models import OutboundEmail
from mwanzo.payments.models import (Attention, Coupon, CouponKind, Payment, PaymentEvent, PaymentStatus, Payout,
                                    PayoutStatus, RefundRequest)
from tests import factories
from tests.deployed.conftest import CSRF_INPUT, form_post, wait_until

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
# The window README promises for a lost callback, in seconds.
RECONCILIATION_WINDOW = 60 * int(re.search(r"a lost callback is settled within (\d+) minutes", README).group(1))
WEEKLY_REPORT = "mwanzo.analytics.tasks.send_weekly_reports"
SETTLE_CALLBACK = "mwanzo.payments.tasks.settle_callback"


def log_in(deployment, session, email: str) -> None:
    logged_in = form_post(session, f"{deployment.url}/login", {"email": email, "password": factories.PASSWORD},
                          allow_redirects=False)
    assert logged_in.status_code == 302, logged_in.text[:500]


def learner_with_a_course(deployment, session, name: str, email: str, title: str, price: str = "1500") -> str:
    """A logged-in learner and a paid course; returns the course's slug."""
    with deployment.app_context():
        slug = factories.course(title=title, price=Decimal(price)).slug
        factories.user(name=name, email=email)
    log_in(deployment, session, email)
    return slug


def check_out(deployment, session, slug: str, **form):
    checkout = form_post(session, f"{deployment.url}/courses/{slug}/checkout", {"phone": "0712345678", **form},
                         allow_redirects=False)
    assert checkout.status_code == 303, checkout.text[:500]
    return checkout


def payment_of(deployment, email: str) -> Payment:
    with deployment.app_context():
        return db.session.scalar(select(Payment).join(User, User.id == Payment.student_id).where(User.email == email))


def payhero_reference(deployment, payment: Payment) -> str:
    """PayHero's reference of the transaction our push created (waiting for a hung push to create it)."""
    return wait_until(lambda: next(reference for reference, tx in list(deployment.payhero.transactions.items())
                                   if tx["body"]["external_reference"] == payment.external_reference), 15,
                      "PayHero's transaction")


def has_the_course(deployment, session, slug: str) -> bool:
    """What the learner sees: the course among their courses on the dashboard."""
    dashboard = session.get(f"{deployment.url}/dashboard", timeout=30)
    assert dashboard.status_code == 200
    return f'href="/learn/{slug}"' in dashboard.text


def emails(deployment, to: str, subject: str) -> list:
    """Messages the SMTP server accepted (it requires STARTTLS, so each one came over TLS)."""
    return [m for m in deployment.inbox.messages if m["To"] == to and m["Subject"].startswith(subject)]


def test_a_lost_callback_is_settled_by_reconciliation_within_the_stated_window(deployment, browser_session):
    slug = learner_with_a_course(deployment, browser_session, "Achieng Otieno", "achieng@example.com",
                                 "Tailoring for Beginners")
    started = time.monotonic()
    check_out(deployment, browser_session, slug)
    payment = payment_of(deployment, "achieng@example.com")
    reference = payhero_reference(deployment, payment)
    deployment.payhero.settle(reference)  # the learner paid; PayHero's callback never arrives
    assert not has_the_course(deployment, browser_session, slug)

    wait_until(lambda: has_the_course(deployment, browser_session, slug), RECONCILIATION_WINDOW + 30,
               "the reconciled enrolment on the dashboard", interval=2)
    took = time.monotonic() - started
    print(f"\nlost callback: enrolled {took:.0f} s after checkout (window {RECONCILIATION_WINDOW} s)")
    assert took <= RECONCILIATION_WINDOW
    with deployment.app_context():
        settled = db.session.get(Payment, payment.id)
        assert settled.status == PaymentStatus.SUCCESS and settled.mpesa_receipt
        assert db.session.scalar(select(PaymentEvent.id).where(PaymentEvent.payment_id == payment.id,
                                                                PaymentEvent.kind == "callback")) is None
    assert [q["query"]["reference"] for q in deployment.payhero.status_queries()].count([reference]) >= 1
    wait_until(lambda: emails(deployment, "achieng@example.com", "Payment received"), 30, "the receipt email")


def test_a_timed_out_push_blocks_a_second_charge_and_an_admin_grants_the_course(deployment, browser_session):
    slug = learner_with_a_course(deployment, browser_session, "Otieno Odhiambo", "otieno@example.com",
                                 "Solar Installation Basics")
    checkout_url = f"{deployment.url}/courses/{slug}/checkout"
    token = CSRF_INPUT.search(browser_session.get(checkout_url, timeout=30).text).group(1)
    timeout = int(deployment.environment["PAYHERO_TIMEOUT_SECONDS"])
    deployment.payhero.push_mode, deployment.payhero.hang_seconds = "timeout", timeout + 3
    try:
        started = time.monotonic()
        checkout = check_out(deployment, browser_session, slug)
        waited = time.monotonic() - started
    finally:
        deployment.payhero.push_mode = "ok"
    print(f"\ntimed-out push: checkout answered after {waited:.1f} s (PAYHERO_TIMEOUT_SECONDS={timeout})")
    assert timeout <= waited < timeout + 3
    status_page = browser_session.get(f"{deployment.url}{checkout.headers['Location']}", timeout=30)
    assert "M-Pesa did not confirm our request in time" in status_page.text

    # No second charge: the checkout page says why, and posting the form again sends no second prompt.
    again = browser_session.get(checkout_url, timeout=30)
    assert "An earlier payment request for this course may still go through" in again.text
    assert 'name="phone"' not in again.text
    resubmitted = browser_session.post(checkout_url, data={"csrf_token": token, "phone": "0712345678"},
                                       headers={"Referer": checkout_url}, timeout=30, allow_redirects=False)
    assert resubmitted.status_code == 303 and resubmitted.headers["Location"] == checkout.headers["Location"]
    payment = payment_of(deployment, "otieno@example.com")
    reference = payhero_reference(deployment, payment)
    assert [p["body"]["external_reference"] for p in deployment.payhero.pushes()].count(
        payment.external_reference) == 1

    # The prompt reached the phone after all and the learner paid: the callback arrives, but without the
    # PayHero reference our push never received, so it cannot be confirmed and goes to the operators.
    assert deployment.payhero.answer(reference) == [200]
    receipt = deployment.payhero.transactions[reference]["receipt"]
    with deployment.app_context():
        wait_until(lambda: db.session.scalar(select(Payment.attention).where(Payment.id == payment.id)
                                             .execution_options(populate_existing=True))
                   == Attention.UNVERIFIED_SUCCESS, 30, "the payment on the operators' list")
        admin_email = factories.user(role=Role.ADMIN, name="Amina Admin", email="amina.money@example.com").email
    assert not has_the_course(deployment, browser_session, slug)

    with requests.Session() as admin:
        admin.trust_env, admin.verify = False, deployment.ca_file
        log_in(deployment, admin, admin_email)
        listed = admin.get(f"{deployment.url}/admin/payments/attention", timeout=30)
        assert f'data-payment="{payment.id}"' in listed.text and receipt in listed.text
        settle_url = f"{deployment.url}/admin/payments/{payment.id}/settle"
        refused = admin.post(settle_url, data={"action": "grant", "receipt": receipt, "note": "On the statement"},
                             headers={"Referer": settle_url}, timeout=30)
        assert refused.status_code == 400  # no CSRF token: nothing granted
        settled = form_post(admin, settle_url, {"action": "grant", "receipt": receipt,
                                                "note": "Seen on the M-Pesa statement"})
        assert settled.status_code == 200 and "Payment settled." in settled.text
        assert f'data-payment="{payment.id}"' not in settled.text
        assert "payment.attention.grant" in admin.get(f"{deployment.url}/admin/audit", timeout=30).text

    assert has_the_course(deployment, browser_session, slug)
    with deployment.app_context():
        granted = db.session.get(Payment, payment.id)
        assert granted.status == PaymentStatus.SUCCESS and granted.mpesa_receipt == receipt
        audit = db.session.scalar(select(AuditLog).where(AuditLog.target_id == str(payment.id)))
        assert audit.action == "payment.attention.grant" and audit.details["receipt"] == receipt
        assert audit.actor_id == granted.resolved_by_id


@contextlib.contextmanager
def second_worker(deployment):
    """Another `worker` from the Procfile beside the first one (both log into worker.log)."""
    first = deployment.processes["worker"]
    deployment.start("worker")
    deployment.processes["worker"], deployment.processes["worker-2"] = first, deployment.processes["worker"]
    try:
        wait_until(lambda: len(Worker.all(connection=deployment.redis)) >= 2, 60, "the second RQ worker")
        yield
    finally:
        deployment.stop(deployment.processes.pop("worker-2"))


def test_duplicate_concurrent_callbacks_through_two_workers_enrol_once(deployment, browser_session):
    slug = learner_with_a_course(deployment, browser_session, "Wanjiku Kariuki", "wanjiku@example.com",
                                 "Poultry Keeping for Profit")
    check_out(deployment, browser_session, slug)
    payment = payment_of(deployment, "wanjiku@example.com")
    reference = payhero_reference(deployment, payment)
    finished = Queue("default", connection=deployment.redis).finished_job_registry
    before = set(finished.get_job_ids())
    with second_worker(deployment):
        assert deployment.payhero.answer(reference, times=8, concurrent=True) == [200] * 8
        deployment.wait_for_jobs()
        settlers = [job for job in Job.fetch_many(sorted(set(finished.get_job_ids()) - before),
                                                  connection=deployment.redis)
                    if job is not None and job.args[0] == SETTLE_CALLBACK]
    assert len(settlers) == 8
    assert len({job.worker_name for job in settlers}) == 2  # both workers settled some at the same time

    deployment.wait_for_email("wanjiku@example.com")
    time.sleep(3)  # a second receipt would have been delivered by now
    assert len(emails(deployment, "wanjiku@example.com", "Payment received")) == 1
    assert has_the_course(deployment, browser_session, slug)
    with deployment.app_context():
        assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCESS
        assert db.session.scalar(select(func.count()).select_from(Enrollment).where(
            Enrollment.student_id == payment.student_id, Enrollment.status == EnrollmentStatus.ACTIVE)) == 1
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail).where(
            OutboundEmail.dedupe_key == f"payment-receipt:{payment.id}")) == 1
        assert db.session.scalar(select(func.count()).select_from(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "settled")) == 1
    assert "DeadlockDetected" not in deployment.log("worker")


def weekly_runs(deployment) -> int:
    return sum(1 for line in deployment.json_log("worker")
               if line.get("message") == "job" and line.get("task") == WEEKLY_REPORT and line.get("outcome") == "ok")


def test_the_scheduler_sends_the_weekly_report_once(deployment):
    with deployment.app_context():
        learner = factories.user(name="Njeri Wambui", email="njeri@example.com")
        factories.enrollment(learner, factories.course(title="Mobile Money for Chamas"), last_activity_at=utcnow())
    check_every = 10
    deployment.stop(deployment.processes.pop("scheduler"))
    deployment.start("scheduler", {"WEEKLY_REPORT_CHECK_SECONDS": str(check_every)})
    try:
        started = time.monotonic()
        report = deployment.wait_for_email("njeri@example.com", timeout=60)
        print(f"\nweekly report: received {time.monotonic() - started:.0f} s after the scheduler started")
        assert report["Subject"] == "Your week of learning on Mwanzo"
        assert "Mobile Money for Chamas" in report.get_payload(0).get_payload(decode=True).decode()
        # The next ticks run the report again and send nothing more.
        runs = weekly_runs(deployment)
        wait_until(lambda: weekly_runs(deployment) >= runs + 2, 4 * check_every, "two more weekly report ticks")
        deployment.wait_for_jobs()
        assert len(emails(deployment, "njeri@example.com", "Your week of learning")) == 1
    finally:
        deployment.stop(deployment.processes.pop("scheduler"))
        deployment.start("scheduler")


def test_a_coupon_checkout_pushes_the_discounted_amount_and_the_callback_enrols(deployment, browser_session):
    slug = learner_with_a_course(deployment, browser_session, "Chebet Kiprono", "chebet@example.com",
                                 "Dairy Goat Farming", price="1500")
    with deployment.app_context():
        admin = factories.user(role=Role.ADMIN, email="coupons.admin@example.com")
        db.session.add(Coupon(code="KARIBU15", kind=CouponKind.PERCENT, value=Decimal("15"), created_by_id=admin.id))
        db.session.commit()
    check_out(deployment, browser_session, slug, coupon="karibu15")
    payment = payment_of(deployment, "chebet@example.com")
    assert payment.amount == Decimal("1275")
    reference = payhero_reference(deployment, payment)
    [push] = [p for p in deployment.payhero.pushes() if p["body"]["external_reference"] == payment.external_reference]
    assert push["body"]["amount"] == 1275  # what the phone is asked for: 1,500 less 15 %
    assert deployment.payhero.answer(reference) == [200]  # the callback, over HTTPS through nginx
    wait_until(lambda: has_the_course(deployment, browser_session, slug), 30, "the enrolment on the dashboard")
    with deployment.app_context():
        assert db.session.get(Payment, payment.id).status == PaymentStatus.SUCCESS
        assert db.session.scalar(select(Coupon.uses).where(Coupon.code == "KARIBU15")) == 1


def test_an_instructors_payout_is_approved_paid_by_the_worker_and_the_balance_is_zero(deployment, browser_session):
    with deployment.app_context():
        instructor = factories.user(role=Role.INSTRUCTOR, is_email_verified=True, name="Wanjiru Kamau",
                                    email="wanjiru.payout@example.com")
        course = factories.course(instructor_id=instructor.id, price=Decimal("10000"))
        factories.payment(factories.enrollment(factories.user(), course), "10000", PaymentStatus.SUCCESS,
                          settled_at=utcnow(), platform_share_percent=Decimal("30"))
        admin_email = factories.user(role=Role.ADMIN, email="payouts.admin@example.com").email
        instructor_id = instructor.id
    log_in(deployment, browser_session, "wanjiru.payout@example.com")
    earnings = f"{deployment.url}/studio/earnings"
    assert 'data-balance="7000.00"' in browser_session.get(earnings, timeout=30).text
    token = CSRF_INPUT.search(browser_session.get(earnings, timeout=30).text).group(1)
    asked = browser_session.post(f"{deployment.url}/studio/payouts", headers={"Referer": earnings}, timeout=30,
                                 data={"csrf_token": token, "amount": "7000", "phone": "0712 345 678"},
                                 allow_redirects=False)
    assert asked.status_code == 303, asked.text[:500]
    with deployment.app_context():
        payout = db.session.scalar(select(Payout).where(Payout.instructor_id == instructor_id))
        assert payout.status == PayoutStatus.REQUESTED

    with requests.Session() as admin:
        admin.trust_env, admin.verify = False, deployment.ca_file
        log_in(deployment, admin, admin_email)
        assert f'data-payout="{payout.id}"' in admin.get(f"{deployment.url}/admin/payouts", timeout=30).text
        approved = form_post(admin, f"{deployment.url}/admin/payouts/{payout.id}", {"action": "approve"})
        assert approved.status_code == 200 and "Payout approved" in approved.text

    withdrawal = wait_until(lambda: next(w for w in deployment.payhero.withdrawals()
                                         if w["body"]["external_reference"] == payout.external_reference), 30,
                            "the worker's withdraw request")
    assert withdrawal["body"]["amount"] == 7000 and withdrawal["body"]["phone_number"] == "0712345678"
    with deployment.app_context():
        sent = wait_until(lambda: db.session.scalar(select(Payout).where(Payout.id == payout.id).where(
            Payout.provider_reference.is_not(None)).execution_options(populate_existing=True)), 30, "the payout SENT")
        assert sent.status == PayoutStatus.SENT
    assert deployment.payhero.answer(sent.provider_reference, times=2) == [200, 200]  # a duplicate too
    with deployment.app_context():
        wait_until(lambda: db.session.scalar(select(Payout.status).where(Payout.id == payout.id)
                                             .execution_options(populate_existing=True)) == PayoutStatus.PAID,
                   30, "the payout PAID")
    deployment.wait_for_jobs()
    assert 'data-balance="0.00"' in browser_session.get(earnings, timeout=30).text
    assert len([w for w in deployment.payhero.withdrawals()
                if w["body"]["external_reference"] == payout.external_reference]) == 1


def test_an_approved_refund_goes_back_to_the_learners_mpesa_through_the_worker(deployment, browser_session):
    with deployment.app_context():
        learner = factories.user(name="Akinyi Ouma", email="akinyi.refund@example.com")
        course = factories.course(title="Beekeeping Basics", price=Decimal("900"))
        payment = factories.payment(factories.enrollment(learner, course), "900", PaymentStatus.SUCCESS,
                                    mpesa_receipt="SKQ11REF22", phone_number="254722000111", settled_at=utcnow())
        admin_email = factories.user(role=Role.ADMIN, email="refunds.admin@example.com").email
        payment_id = payment.id
    log_in(deployment, browser_session, "akinyi.refund@example.com")
    receipt_url = f"{deployment.url}/payments/{payment_id}/receipt"
    token = CSRF_INPUT.search(browser_session.get(receipt_url, timeout=30).text).group(1)
    asked = browser_session.post(f"{deployment.url}/payments/{payment_id}/refund-request", timeout=30,
                                 data={"csrf_token": token, "reason": "Not what I expected"},
                                 headers={"Referer": receipt_url}, allow_redirects=False)
    assert asked.status_code == 303, asked.text[:500]
    with deployment.app_context():
        refund_id = db.session.scalar(select(RefundRequest.id).where(RefundRequest.payment_id == payment_id))

    with requests.Session() as admin:
        admin.trust_env, admin.verify = False, deployment.ca_file
        log_in(deployment, admin, admin_email)
        approved = form_post(admin, f"{deployment.url}/admin/refunds/{refund_id}",
                             {"action": "approve", "note": "Asked within the window"})
        assert approved.status_code == 200 and "Refund approved" in approved.text

    with deployment.app_context():
        transfer = wait_until(lambda: db.session.scalar(select(Payout).where(
            Payout.refund_request_id == refund_id, Payout.provider_reference.is_not(None))
            .execution_options(populate_existing=True)), 30, "the refund sent by the worker")
    [withdrawal] = [w for w in deployment.payhero.withdrawals()
                    if w["body"]["external_reference"] == transfer.external_reference]
    assert withdrawal["body"]["amount"] == 900 and withdrawal["body"]["phone_number"] == "0722000111"
    assert "on its way to your M-Pesa" in browser_session.get(receipt_url, timeout=30).text
    assert deployment.payhero.answer(transfer.provider_reference) == [200]
    wait_until(lambda: "was sent to your M-Pesa" in browser_session.get(receipt_url, timeout=30).text, 30,
               "the refund marked sent on the learner's receipt")
    with deployment.app_context():
        assert db.session.get(Payout, transfer.id).status == PayoutStatus.PAID
        assert db.session.get(Payment, payment_id).status == PaymentStatus.REFUNDED
