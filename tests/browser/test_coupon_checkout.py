"""A learner applies a coupon at checkout in Chromium: the page shows the discounted price, the sandbox
M-Pesa prompt asks for it, and a coupon covering the whole price gives the course without a prompt."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.payments.models import Coupon, CouponKind, Payment, PaymentStatus
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def coupon(make, code, kind, value):
    db.session.add(Coupon(code=code, kind=kind, value=Decimal(value), created_by_id=make.user(role=Role.ADMIN).id))
    db.session.commit()


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_coupon_lowers_what_m_pesa_asks_for(new_page, make, javascript):
    course = make.course(price=Decimal("1500"), title="Excel for Small Business")
    make.lesson(make.section(course), title="Opening a workbook")
    make.user(email="amani@example.com")
    coupon(make, "KARIBU20", CouponKind.PERCENT, "20")
    page = new_page(javascript=javascript)
    log_in(page, "amani@example.com")
    page.goto(f"/courses/{course.slug}/checkout")
    page.locator("#coupon-check").fill("karibu20")
    page.get_by_role("button", name="Apply").click()
    page.get_by_text("Coupon KARIBU20: KES 300 off.").wait_for()
    assert page.locator("p.price").get_attribute("data-amount") == "1200"
    page.get_by_label("M-Pesa phone number").fill("0712 345 678")
    page.get_by_role("button", name="Send the M-Pesa request").click()
    page.get_by_text("Check your phone and enter your M-Pesa PIN to pay KES 1,200").wait_for()
    payment = db.session.scalar(select(Payment))
    assert payment.amount == Decimal("1200") and payment.status == PaymentStatus.PENDING


def test_a_full_coupon_gives_the_course_without_a_prompt(new_page, make):
    course = make.course(price=Decimal("800"), title="Bookkeeping")
    make.lesson(make.section(course), title="The ledger")
    make.user(email="faith@example.com")
    coupon(make, "BURE", CouponKind.FIXED, "800")
    page = new_page(javascript=False)
    log_in(page, "faith@example.com")
    page.goto(f"/courses/{course.slug}/checkout?coupon=BURE")
    page.get_by_label("M-Pesa phone number").fill("0712 345 678")
    page.get_by_role("button", name="Get the course").click()
    page.get_by_text("Your coupon covers the whole price: the course is yours.").wait_for()
    assert db.session.scalar(select(Payment)) is None
