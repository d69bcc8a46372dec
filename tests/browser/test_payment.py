"""A learner buys a course with the sandbox M-Pesa in Chromium, watches the status page settle by
itself (HTMX polling with JavaScript, meta refresh without), and opens the first lesson."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.payments.models import Payment, PaymentStatus
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_learner_pays_with_the_sandbox_and_reaches_the_lesson(new_page, make, javascript):
    course = make.course(price=Decimal("1500"), title="Excel for Small Business")
    make.lesson(make.section(course), title="Opening a workbook")
    make.user(email="amani@example.com", name="Amani Otieno")
    page = new_page(javascript=javascript)
    page.goto("/login")
    page.get_by_label("Email").fill("amani@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("header .menu a[href='/profile']").wait_for(state="attached")

    page.goto(f"/courses/{course.slug}")
    page.get_by_role("link", name="Buy for KES 1,500").click()
    page.get_by_label("M-Pesa phone number").fill("0712 345 678")
    page.get_by_role("button", name="Send the M-Pesa request").click()
    page.get_by_text("Check your phone and enter your M-Pesa PIN to pay KES 1,500").wait_for()

    # The "phone" answers in a second tab while the status page stays open and updates itself.
    phone = page.context.new_page()
    phone.goto(page.get_by_role("link", name="Open the sandbox phone").get_attribute("href"))
    phone.get_by_role("button", name="Pay", exact=True).click()
    phone.get_by_text("Payment received").wait_for()
    phone.close()

    page.get_by_text("Payment received. Your M-Pesa receipt number is").wait_for()
    payment = db.session.scalar(select(Payment))
    assert payment.status == PaymentStatus.SUCCESS and payment.mpesa_receipt in page.content()
    page.get_by_role("link", name="Start learning").click()
    page.get_by_role("heading", name="Opening a workbook").wait_for()
