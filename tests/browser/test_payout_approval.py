"""An instructor asks for a payout and an admin approves it in Chromium; the local PayHero receives one
withdrawal for the amount, to the instructor's phone."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.payments.models import PaymentStatus, Payout, PayoutStatus
from tests.browser.helpers import log_in
from tests.payments.conftest import payhero  # noqa: F401  (the local PayHero, as a fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_an_admin_approves_an_instructors_payout(new_page, make, payhero, javascript):  # noqa: F811
    instructor = make.user(role=Role.INSTRUCTOR, is_email_verified=True, email="wanjiru@example.com",
                           name="Wanjiru Kamau")
    course = make.course(instructor_id=instructor.id, price=2000)
    make.payment(make.enrollment(make.user(), course), "2000", PaymentStatus.SUCCESS,
                 settled_at=datetime(2026, 11, 3, 9, tzinfo=timezone.utc), platform_share_percent=Decimal("30"))
    make.user(role=Role.ADMIN, email="admin@example.com")

    page = new_page(javascript=javascript)
    log_in(page, "wanjiru@example.com")
    page.goto("/studio/earnings")
    page.get_by_text("Balance you can ask for: KES 1,400").wait_for()
    page.get_by_label("Amount (KES)").fill("1000")
    page.get_by_label("M-Pesa phone number").fill("0712 345 678")
    page.get_by_role("button", name="Ask for a payout to M-Pesa").click()
    page.get_by_text("Payout requested.").wait_for()

    admin = new_page(javascript=javascript)
    log_in(admin, "admin@example.com")
    admin.goto("/admin/payouts")
    admin.get_by_role("link", name="Decide").click()
    admin.get_by_role("heading", name="Send KES 1,000 to Wanjiru Kamau?").wait_for()
    admin.get_by_role("button", name="Approve and send to M-Pesa").click()
    admin.get_by_text("Payout approved: it is being sent to M-Pesa.").wait_for()

    [withdrawal] = payhero.withdrawals()
    assert withdrawal["body"]["amount"] == 1000 and withdrawal["body"]["phone_number"] == "0712345678"
    db.session.expire_all()
    assert db.session.scalar(select(Payout.status)) == PayoutStatus.SENT
