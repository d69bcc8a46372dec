"""Withdrawals PayHero never answered, against the local PayHero made to answer too late or to hang up after
taking the request: the payout stays SENT with no PayHero reference. A callback is found by our external
reference and settles it when it carries PayHero's reference; otherwise (transaction-status takes only that
reference) the payout goes to the admins' attention list, where an admin marks it paid or failed from the
M-Pesa statement, once. A late callback after that pays nothing twice; failed is back in the balance, and a
refund's transfer can be sent again."""
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from mwanzo.payments import payouts, services, tasks
from mwanzo.payments.models import Payout, PayoutEvent, PayoutStatus, RefundRequest
from tests.concurrency import run_together
from tests.confirmations import confirmation_token, post_confirmed
from tests.payments.test_payout_reconciliation import sent_minutes_ago
from tests.payments.test_payouts import PAYOUT_CALLBACK, ask_and_approve, balance, earner, payout  # noqa: F401
from tests.payments.test_refund_transfers import approve, asked, send_again, transfer  # noqa: F401
from tests.queries import count_queries
from tests.servers import free_port


@pytest.fixture(params=["timeout", "hang_up"])
def unanswered(request, payhero, settings):
    """PayHero takes the withdrawal but the app never reads its answer: too late, or the connection dropped."""
    payhero.withdraw_mode, payhero.hang_seconds = request.param, 0.6
    settings(PAYHERO_TIMEOUT_SECONDS=0.2)
    return payhero


def without_reference(body: dict) -> dict:
    """The older callback shape: ExternalReference only, nothing transaction-status could be asked with."""
    body["response"].pop("reference")
    return body


def settle_url(row: Payout) -> str:
    return f"/admin/payouts/{row.id}/settle"


def kinds(row: Payout) -> list[str]:
    return list(db.session.scalars(select(PayoutEvent.kind).where(PayoutEvent.payout_id == row.id)
                                   .order_by(PayoutEvent.created_at)))


def test_an_unanswered_withdrawal_stays_sent_and_its_callback_settles_it_by_our_reference(
        client, login, make, earner, unanswered):
    sent = ask_and_approve(client, login, make, earner)
    assert sent.status == PayoutStatus.SENT and sent.provider_reference is None
    assert "withdraw_unknown" in kinds(sent)
    reference = unanswered.latest_reference()
    body = unanswered.settle(reference)
    assert body["response"]["ExternalReference"] == sent.external_reference
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    paid = payout()
    assert paid.status == PayoutStatus.PAID and paid.provider_reference == reference
    assert paid.transaction_id == body["response"]["TransactionID"]
    assert [q["query"]["reference"] for q in unanswered.status_queries()] == [[reference]]
    assert len(unanswered.withdrawals()) == 1
    login(earner)
    assert balance(client) == Decimal("2000.00")


def test_a_callback_naming_another_transfers_reference_is_not_believed(client, login, make, earner, payhero):
    admin = make.user(role=Role.ADMIN)
    failed_earlier = payouts.request_payout(earner, Decimal("1000"), "254712345678")
    payouts.approve(failed_earlier, admin)
    db.session.commit()  # sent (JOB_RUNNER=sync)
    other_reference = db.session.get(Payout, failed_earlier.id).provider_reference
    assert client.post(PAYOUT_CALLBACK, json=payhero.settle(other_reference, result_code=2001)).status_code == 200
    payhero.withdraw_mode = "hang_up"
    unanswered = payouts.request_payout(earner, Decimal("2000"), "254712345678")
    payouts.approve(unanswered, admin)
    db.session.commit()
    body = payhero.settle(payhero.latest_reference())
    body["response"]["reference"] = other_reference  # its own reference swapped for the failed transfer's
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    db.session.expire_all()
    row = db.session.get(Payout, unanswered.id)
    assert row.status == PayoutStatus.SENT and row.provider_reference is None and row.attention_since is not None
    login(earner)
    assert balance(client) == Decimal("5000.00")  # 7,000 less the 2,000 that may have left


def test_a_withdrawal_payhero_was_never_reached_fails_and_returns(client, login, make, earner, payhero, settings):
    settings(PAYHERO_BASE_URL=f"http://127.0.0.1:{free_port()}")  # nothing listens: the request never left
    assert ask_and_approve(client, login, make, earner).status == PayoutStatus.FAILED
    login(earner)
    assert balance(client) == Decimal("7000.00")


def test_an_unconfirmable_callback_hands_it_to_admins_and_a_late_callback_after_their_answer_pays_nothing_twice(
        client, login, make, earner, unanswered):
    sent = ask_and_approve(client, login, make, earner)
    reference = unanswered.latest_reference()
    body = unanswered.settle(reference)
    assert client.post(PAYOUT_CALLBACK, json=without_reference(dict(body, response=dict(body["response"])))
                       ).status_code == 200
    assert payout().status == PayoutStatus.SENT and payout().attention_since is not None
    assert unanswered.status_queries() == []  # nothing to ask PayHero with
    page = client.get("/admin/payments/attention").get_data(as_text=True)
    assert f'data-payout="{sent.id}"' in page and sent.external_reference in page

    token = confirmation_token(client, settle_url(sent))
    answer = {"action": "paid", "receipt": "tkq96c7k7h", "note": "On the statement at 10:02", "confirm_token": token}
    assert client.post(settle_url(sent), data=answer).status_code == 303
    assert client.post(settle_url(sent), data=answer).status_code == 303  # a double click: told, nothing changes
    paid = payout()
    assert paid.status == PayoutStatus.PAID and paid.transaction_id == "TKQ96C7K7H"
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "payout.settled_paid", AuditLog.target_id == str(sent.id))) == 1
    assert f'data-payout="{sent.id}"' not in client.get("/admin/payments/attention").get_data(as_text=True)

    # PayHero's late callback, this time with its reference: ignored, nothing sent or paid again.
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    assert payout().status == PayoutStatus.PAID and payout().transaction_id == "TKQ96C7K7H"
    assert kinds(sent)[-1] == "ignored" and len(unanswered.withdrawals()) == 1
    login(earner)
    assert balance(client) == Decimal("2000.00")


def test_with_no_callback_the_reconciliation_hands_it_to_admins_after_half_an_hour_and_failed_returns_it(
        client, login, make, earner, unanswered):
    sent = ask_and_approve(client, login, make, earner)
    sent_minutes_ago(sent, 29)
    tasks.reconcile_payouts()
    assert payout().attention_since is None  # a callback may still come
    sent_minutes_ago(sent, 31)
    tasks.reconcile_payouts()
    assert payout().attention_since is not None and unanswered.status_queries() == []

    login(make.user(role=Role.ADMIN))
    assert settle_url(sent) in client.get("/admin/payouts").get_data(as_text=True)
    response = post_confirmed(client, settle_url(sent), action="failed", note="Not on the statement")
    assert response.status_code == 303
    failed = payout()
    assert failed.status == PayoutStatus.FAILED and failed.result_desc == "Not on the statement"
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "payout.settled_failed")) == 1
    login(earner)
    assert balance(client) == Decimal("7000.00")

    # PayHero's callback comes after all, confirmed: the money did leave, so it is paid (out of the balance
    # again) rather than left for the instructor to withdraw a second time; nothing is sent again.
    body = unanswered.settle(unanswered.latest_reference())
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    assert payout().status == PayoutStatus.PAID and payout().transaction_id == body["response"]["TransactionID"]
    assert balance(client) == Decimal("2000.00") and len(unanswered.withdrawals()) == 1


def test_marking_paid_needs_the_receipt_the_confirmation_and_an_admin(client, login, make, earner, unanswered):
    sent = ask_and_approve(client, login, make, earner)
    sent_minutes_ago(sent, 31)
    tasks.reconcile_payouts()
    token = confirmation_token(client, settle_url(sent))
    response = client.post(settle_url(sent), data={"action": "paid", "note": "Seen", "confirm_token": token})
    assert response.status_code == 422 and "Enter the M-Pesa receipt number" in response.get_data(as_text=True)
    assert client.post(settle_url(sent), data={"action": "failed", "note": "x"}).status_code == 400
    login(earner)
    assert client.get(settle_url(sent)).status_code == 403
    assert client.post(settle_url(sent), data={"action": "failed", "note": "x", "confirm_token": token}
                       ).status_code == 403
    assert payout().status == PayoutStatus.SENT


def test_an_unanswered_refund_marked_failed_can_be_sent_again(client, login, make, asked, unanswered, settings):
    learner, payment, refund = asked
    sent = approve(client, login, make, refund)
    assert sent.status == PayoutStatus.SENT and sent.provider_reference is None
    first_reference = sent.external_reference
    sent_minutes_ago(sent, 31)
    tasks.reconcile_payouts()
    page = client.get("/admin/payments/attention").get_data(as_text=True)
    assert "Njeri Wambui" in page and sent.external_reference in page
    assert settle_url(sent) in client.get("/admin/refunds").get_data(as_text=True)
    assert post_confirmed(client, settle_url(sent), action="failed", note="Not on the statement").status_code == 303
    assert transfer().status == PayoutStatus.FAILED

    unanswered.withdraw_mode = "ok"
    settings(PAYHERO_TIMEOUT_SECONDS=10)  # PayHero answers this time; a busy machine must not turn it into a timeout
    assert send_again(client, refund).status_code == 303
    again = transfer()
    assert again.status == PayoutStatus.SENT and again.provider_reference
    assert again.external_reference != first_reference and len(unanswered.withdrawals()) == 2
    assert again.attention_since is None  # a new withdrawal, answered: off the admins' list
    assert client.post(PAYOUT_CALLBACK, json=unanswered.settle(again.provider_reference)).status_code == 200
    assert transfer().status == PayoutStatus.PAID
    assert db.session.get(RefundRequest, refund.id).sent_at is not None


def test_the_attention_list_loads_unanswered_payouts_in_a_fixed_number_of_queries(
        client, login, make, earner, asked, unanswered):
    learner, payment, refund = asked
    admin = login(make.user(role=Role.ADMIN))
    counts = []
    for round_number in range(2):
        payouts.approve(payouts.request_payout(earner, Decimal("100"), "254712345678"), admin)
        db.session.commit()
        if round_number == 0:
            approve(client, login, make, refund)
        for row in db.session.scalars(select(Payout)):
            sent_minutes_ago(row, 31)
        tasks.reconcile_payouts()
        with count_queries() as statements:
            page = client.get("/admin/payments/attention")
        assert page.get_data(as_text=True).count("data-payout=") == round_number + 2
        counts.append(len(statements))
    assert counts[0] == counts[1]


@pytest.mark.postgres
def test_two_admins_and_a_late_callback_at_once_settle_an_unanswered_payout_once(
        postgres, app, make, earner, payhero):
    payhero.withdraw_mode, payhero.hang_seconds = "hang_up", 0
    admins = [make.user(role=Role.ADMIN) for _ in range(2)]
    for round_number in range(3):
        row = payouts.request_payout(earner, Decimal("1000"), "254712345678")
        db.session.commit()
        payouts.approve(row, admins[0])
        db.session.commit()  # the job sends it (JOB_RUNNER=sync); PayHero hangs up
        db.session.refresh(row)
        assert row.status == PayoutStatus.SENT and row.provider_reference is None
        sent_minutes_ago(row, 31)
        tasks.reconcile_payouts()
        late = payouts.record_event(row.id, "callback", payload=payhero.settle(payhero.latest_reference()))
        db.session.commit()
        told: list[str] = []

        def act(barrier, who):
            if who == "callback":
                barrier.wait()
                tasks.settle_payout_callback(str(late.id))
                return
            admin = db.session.get(User, who)
            barrier.wait()
            try:
                payouts.settle_unanswered(row.id, admin, "paid", f"TK{round_number}{admin.id.hex[:6].upper()}", "Seen")
                db.session.commit()
                told.append("done")
            except services.AlreadySettled:
                db.session.rollback()
                told.append("already settled")

        errors = run_together(app, act, each=[admin.id for admin in admins] + ["callback"])
        assert errors == [], f"round {round_number}: {errors!r}"
        db.session.expire_all()
        settled = db.session.get(Payout, row.id)
        assert settled.status == PayoutStatus.PAID and settled.transaction_id, f"round {round_number}"
        settled_by_admin = db.session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "payout.settled_paid", AuditLog.target_id == str(row.id)))
        assert settled_by_admin == told.count("done") <= 1  # the callback's confirmation, or one admin: once
        assert told.count("done") + told.count("already settled") == 2
    assert len(payhero.withdrawals()) == 3
