"""A refund transfer an admin marked failed from the M-Pesa statement and sent again, against the local PayHero:
PayHero's late callback for the earlier transfer still finds the refund by that transfer's references, and money
M-Pesa confirms is never left unpaid for nor silently paid twice. The earlier transfer confirmed paid settles
the refund (a retry not yet sent is not sent; a retry that fails leaves it paid); both paid puts the refund on
the admins' attention list as money to recover."""
import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from mwanzo.payments import payouts, tasks
from mwanzo.payments.models import Payout, PayoutAttempt, PayoutEvent, PayoutStatus, RefundRequest
from tests.concurrency import run_together
from tests.confirmations import post_confirmed
from tests.payments.test_payout_reconciliation import sent_minutes_ago
from tests.payments.test_payouts import PAYOUT_CALLBACK
from tests.payments.test_refund_transfers import approve, asked, send_again, transfer  # noqa: F401


def judged_failed_and_sent_again(client, login, make, refund, payhero, settings, retry: bool = True):
    """The first withdrawal is taken by PayHero but never answered; an admin, not finding it on the statement,
    marks it failed and (retry) sends it again, answered this time. (earlier PayHero reference, retry)"""
    payhero.withdraw_mode, payhero.hang_seconds = "hang_up", 0
    first = approve(client, login, make, refund)
    earlier = payhero.latest_reference()
    sent_minutes_ago(first, 31)
    tasks.reconcile_payouts()
    assert post_confirmed(client, f"/admin/payouts/{first.id}/settle", action="failed",
                          note="Not on the statement").status_code == 303
    payhero.withdraw_mode = "ok"
    if retry:
        assert send_again(client, refund).status_code == 303
    return earlier, transfer()


def late_callback(client, payhero, reference, result_code=0) -> dict:
    body = payhero.settle(reference, result_code=result_code)
    assert client.post(PAYOUT_CALLBACK, json=body).status_code == 200
    return body


def overpaid_rows(client) -> int:
    return client.get("/admin/payments/attention").get_data(as_text=True).count("data-overpaid=")


def test_the_earlier_transfer_paid_after_all_settles_the_refund_and_a_failed_retry_leaves_it_paid(
        client, login, make, asked, payhero, settings):
    learner, payment, refund = asked
    earlier, retry = judged_failed_and_sent_again(client, login, make, refund, payhero, settings)
    assert retry.status == PayoutStatus.SENT and retry.provider_reference != earlier
    kept = db.session.scalar(select(PayoutAttempt).where(PayoutAttempt.payout_id == retry.id))
    assert kept.external_reference != retry.external_reference  # the earlier transfer stays findable

    old = late_callback(client, payhero, earlier)
    stored = db.session.scalar(select(PayoutEvent).where(PayoutEvent.kind == "callback"))
    assert stored.payout_id == retry.id  # found, not stored as a callback that matched no payout
    assert db.session.get(RefundRequest, refund.id).sent_at is not None  # the learner has the money

    late_callback(client, payhero, retry.provider_reference, result_code=2001)  # the retry failed
    settled = transfer()
    assert settled.status == PayoutStatus.PAID and settled.transaction_id == old["response"]["TransactionID"]
    assert settled.overpaid_since is None and overpaid_rows(client) == 0
    assert "Send the refund again" not in client.get(f"/admin/refunds/{refund.id}").get_data(as_text=True)


def test_both_transfers_paid_put_the_refund_on_the_attention_list_as_money_to_recover(
        client, login, make, asked, payhero, settings):
    learner, payment, refund = asked
    earlier, retry = judged_failed_and_sent_again(client, login, make, refund, payhero, settings)
    late_callback(client, payhero, retry.provider_reference)
    assert transfer().status == PayoutStatus.PAID and overpaid_rows(client) == 0
    old = late_callback(client, payhero, earlier)
    late_callback(client, payhero, earlier)  # a duplicate delivery flags nothing more
    flagged = transfer()
    assert flagged.status == PayoutStatus.PAID and flagged.overpaid_since is not None
    page = client.get("/admin/payments/attention").get_data(as_text=True)
    assert overpaid_rows(client) == 1 and "Njeri Wambui" in page and flagged.transaction_id in page
    assert db.session.scalar(select(PayoutAttempt.transaction_id)) == old["response"]["TransactionID"]
    assert db.session.scalar(select(func.count()).select_from(PayoutEvent).where(PayoutEvent.kind == "overpaid")) == 1


def test_the_earlier_transfer_confirmed_first_and_the_retry_paying_too_is_flagged(
        client, login, make, asked, payhero, settings):
    learner, payment, refund = asked
    earlier, retry = judged_failed_and_sent_again(client, login, make, refund, payhero, settings)
    late_callback(client, payhero, earlier)
    assert transfer().status == PayoutStatus.SENT and overpaid_rows(client) == 0  # the retry may still fail
    late_callback(client, payhero, retry.provider_reference)
    assert transfer().status == PayoutStatus.PAID and overpaid_rows(client) == 1


def test_the_earlier_transfer_confirmed_before_the_retry_is_sent_stops_the_retry(
        client, login, make, asked, payhero, settings):
    learner, payment, refund = asked
    earlier, failed = judged_failed_and_sent_again(client, login, make, refund, payhero, settings, retry=False)
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    payouts.retry_refund(failed, admin)  # APPROVED: its send job runs after this commit
    event = payouts.record_callback(payhero.settle(earlier))
    payouts.settle_callback(event.id)  # the callback's job got there first
    db.session.commit()
    settled = transfer()
    assert settled.status == PayoutStatus.PAID and settled.overpaid_since is None
    assert len(payhero.withdrawals()) == 1  # the retry was never sent


def test_the_earlier_transfer_reported_failed_changes_nothing(client, login, make, asked, payhero, settings):
    learner, payment, refund = asked
    earlier, retry = judged_failed_and_sent_again(client, login, make, refund, payhero, settings)
    late_callback(client, payhero, earlier, result_code=2001)
    assert transfer().status == PayoutStatus.SENT
    assert db.session.get(RefundRequest, refund.id).sent_at is None
    late_callback(client, payhero, retry.provider_reference)
    assert transfer().status == PayoutStatus.PAID and overpaid_rows(client) == 0


@pytest.mark.postgres
@pytest.mark.parametrize("retry_result", [0, 2001])
def test_the_earlier_and_the_retrys_callbacks_at_once_settle_the_refund_once(
        postgres, app, client, login, make, asked, payhero, settings, retry_result):
    learner, payment, refund = asked
    earlier, retry = judged_failed_and_sent_again(client, login, make, refund, payhero, settings)
    events = [payouts.record_event(retry.id, "callback", payload=payhero.settle(reference, result_code=code))
              for reference, code in ((earlier, 0), (retry.provider_reference, retry_result))]
    db.session.commit()

    def settle(barrier, event_id):
        barrier.wait()
        tasks.settle_payout_callback(str(event_id))

    assert run_together(app, settle, each=[event.id for event in events]) == []
    settled = transfer()
    assert settled.status == PayoutStatus.PAID  # never FAILED: M-Pesa confirmed the earlier transfer
    assert (settled.overpaid_since is not None) == (retry_result == 0)
    assert db.session.scalar(select(func.count()).select_from(PayoutEvent).where(
        PayoutEvent.kind == "overpaid")) == (1 if retry_result == 0 else 0)
    assert db.session.get(RefundRequest, refund.id).sent_at is not None
