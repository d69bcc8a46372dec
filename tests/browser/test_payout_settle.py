"""On a 360 px phone, an admin settles a payout PayHero never answered from the M-Pesa statement: opens it from
the attention list, enters the receipt, confirms, and sees it paid."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.payments import payouts, tasks
from mwanzo.payments.models import PaymentStatus, Payout, PayoutStatus
from tests.browser.helpers import log_in
from tests.conftest import PHONE_VIEWPORT
from tests.payments.conftest import payhero  # noqa: F401  (the local PayHero, as a fixture)
from tests.payments.test_payout_reconciliation import sent_minutes_ago

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_an_admin_settles_an_unanswered_payout_on_a_phone(new_page, make, payhero, javascript):  # noqa: F811
    instructor = make.user(role=Role.INSTRUCTOR, is_email_verified=True, name="Wanjiru Kamau")
    course = make.course(instructor_id=instructor.id, price=2000)
    make.payment(make.enrollment(make.user(), course), "2000", PaymentStatus.SUCCESS,
                 settled_at=datetime(2026, 11, 3, 9, tzinfo=timezone.utc), platform_share_percent=Decimal("30"))
    admin = make.user(role=Role.ADMIN, email="admin@example.com")
    payhero.withdraw_mode, payhero.hang_seconds = "hang_up", 0  # PayHero takes it; its answer never arrives
    row = payouts.request_payout(instructor, Decimal("1000"), "254712345678")
    payouts.approve(row, admin)
    db.session.commit()
    sent_minutes_ago(row, 31)
    tasks.reconcile_payouts()  # onto the admins' attention list

    page = new_page(javascript=javascript, viewport=PHONE_VIEWPORT)
    log_in(page, "admin@example.com")
    page.goto("/admin/payments/attention")
    page.locator(f'tr[data-payout="{row.id}"]').get_by_role("link", name="Settle").click()
    page.get_by_role("heading", name=f"Settle payout {row.external_reference}").wait_for()
    page.get_by_label("The money reached the recipient: mark it paid").check()
    page.get_by_label("M-Pesa receipt number").fill("tkq96c7k7h")
    page.get_by_label("Note").fill("Seen on the statement of 25 November")
    page.get_by_role("button", name="Confirm and settle").click()
    page.get_by_text("Payout settled.").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]

    page.goto(f"/admin/payouts/{row.id}/settle")
    page.get_by_text("Paid · TKQ96C7K7H").wait_for()
    db.session.expire_all()
    settled = db.session.scalar(select(Payout))
    assert (settled.status, settled.transaction_id) == (PayoutStatus.PAID, "TKQ96C7K7H")
    assert len(payhero.withdrawals()) == 1
