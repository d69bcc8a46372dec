"""Instructor payouts through PayHero's withdraw (B2C) API against the local PayHero: the instructor asks,
an admin approves, the money is sent once; callbacks are stored raw, verified with transaction-status and
applied exactly once; a failed or refused payout is back in the balance."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.payments.models import PaymentStatus, Payout, PayoutEvent, PayoutStatus
from tests.confirmations import confirmation_token, post_confirmed
from tests.payments.conftest import CALLBACK_TOKEN

PAYOUT_CALLBACK = f"/api/v1/payouts/callback/{CALLBACK_TOKEN}"


@pytest.fixture
def earner(make):
    """An instructor whose course sold KES 10,000 at a 30 % platform share: KES 7,000 earned."""
    instructor = make.user(role=Role.INSTRUCTOR, is_email_verified=True, name="Wanjiru Kamau")
    course = make.course(instructor_id=instructor.id, price=10000)
    when = datetime(2026, 11, 3, 9, tzinfo=timezone.utc)
    make.payment(make.enrollment(make.user(), course), "10000", PaymentStatus.SUCCESS, settled_at=when,
                 platform_share_percent=Decimal("30"))
    return instructor


def balance(client) -> Decimal:
    body = client.get("/studio/earnings").get_data(as_text=True)
    return Decimal(body.split('data-balance="', 1)[1].split('"', 1)[0])


def payout() -> Payout:
    db.session.expire_all()
    return db.session.scalar(select(Payout))


def ask_and_approve(client, login, make, earner, amount="5000"):
    login(earner)
    assert client.post("/studio/payouts", data={"amount": amount, "phone": "0712 345 678"}).status_code == 303
    login(make.user(role=Role.ADMIN))
    response = post_confirmed(client, f"/admin/payouts/{payout().id}", action="approve")
    assert response.status_code == 303
    return payout()


def test_an_approved_payout_is_sent_once_and_duplicate_callbacks_pay_it_once(client, login, make, earner, payhero):
    login(earner)
    assert balance(client) == Decimal("7000.00")
    sent = ask_and_approve(client, login, make, earner)
    assert sent.status == PayoutStatus.SENT and sent.provider_reference
    [withdrawal] = payhero.withdrawals()
    assert withdrawal["body"]["amount"] == 5000 and withdrawal["body"]["phone_number"] == "0712345678"
    assert withdrawal["body"]["network_code"] == "63902"
    body = payhero.settle(sent.provider_reference)
    for _ in range(3):  # PayHero may deliver the same callback more than once
        assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    paid = payout()
    assert paid.status == PayoutStatus.PAID and paid.transaction_id == body["response"]["TransactionID"]
    assert db.session.scalar(select(func.count()).select_from(PayoutEvent).where(PayoutEvent.kind == "callback")) == 3
    assert len(payhero.withdrawals()) == 1 and len(payhero.status_queries()) == 1
    login(earner)
    assert balance(client) == Decimal("2000.00")


def test_a_failed_payout_returns_to_the_balance(client, login, make, earner, payhero):
    sent = ask_and_approve(client, login, make, earner)
    body = payhero.settle(sent.provider_reference, result_code=2001, desc="Invalid recipient")
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    assert payout().status == PayoutStatus.FAILED
    login(earner)
    assert balance(client) == Decimal("7000.00")


def test_a_payout_payhero_refuses_fails_at_once_and_returns(client, login, make, earner, payhero):
    payhero.withdraw_mode = "reject"
    assert ask_and_approve(client, login, make, earner).status == PayoutStatus.FAILED
    login(earner)
    assert balance(client) == Decimal("7000.00")


def test_a_forged_success_body_is_not_believed(client, login, make, earner, payhero):
    """The body says success, transaction-status says it is still queued: nothing is marked paid."""
    sent = ask_and_approve(client, login, make, earner)
    forged = {"status": True, "response": {"ExternalReference": sent.external_reference, "ResultCode": 0,
                                           "TransactionID": "FAKE123", "reference": sent.provider_reference}}
    assert client.post(PAYOUT_CALLBACK, json=forged).status_code == 200
    assert payout().status == PayoutStatus.SENT
    assert client.post(PAYOUT_CALLBACK, json={"nonsense": 1}).status_code == 400
    assert db.session.scalar(select(PayoutEvent).where(PayoutEvent.kind == "callback_unreadable")).payload == {"nonsense": 1}


def test_more_than_the_balance_is_refused(client, login, earner):
    login(earner)
    response = client.post("/studio/payouts", data={"amount": "7001", "phone": "0712345678"})
    assert response.status_code == 409 and "more than your balance" in response.get_data(as_text=True)
    assert payout() is None


def test_approving_twice_sends_once_and_refusing_returns_the_money(client, login, make, earner, payhero):
    login(earner)
    client.post("/studio/payouts", data={"amount": "3000", "phone": "0712345678"})
    admin = login(make.user(role=Role.ADMIN))
    url = f"/admin/payouts/{payout().id}"
    token = confirmation_token(client, url)
    assert client.post(url, data={"action": "approve", "confirm_token": token}).status_code == 303
    assert client.post(url, data={"action": "approve", "confirm_token": token}).status_code == 303
    assert len(payhero.withdrawals()) == 1
    assert db.session.scalar(select(AuditLog.actor_id).where(AuditLog.action == "payout.approved")) == admin.id
    login(earner)
    client.post("/studio/payouts", data={"amount": "1000", "phone": "0712345678"})
    second = db.session.scalar(select(Payout).where(Payout.amount == Decimal("1000")))
    login(make.user(role=Role.ADMIN))
    assert post_confirmed(client, f"/admin/payouts/{second.id}", action="reject",
                          reason="Phone does not match the account").status_code == 303
    login(earner)
    assert balance(client) == Decimal("4000.00")


def test_only_admins_approve_and_only_with_the_confirmation(client, login, make, earner):
    login(earner)
    client.post("/studio/payouts", data={"amount": "3000", "phone": "0712345678"})
    url = f"/admin/payouts/{payout().id}"
    assert client.post(url, data={"action": "approve"}).status_code == 403
    login(make.user(role=Role.ADMIN))
    assert client.post(url, data={"action": "approve"}).status_code == 400
    assert payout().status == PayoutStatus.REQUESTED
