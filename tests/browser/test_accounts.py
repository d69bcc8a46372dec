"""Register, verify by the emailed link, log in and out, in Chromium on a phone-sized screen."""
import pytest
from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.extensions import db
from tests.browser.helpers import open_menu_link
from tests.emails import emails_to, link_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_register_verify_login_logout(new_page, javascript):
    page = new_page(javascript=javascript)
    page.goto("/")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Full name").fill("Njeri Wambui")
    page.get_by_label("Email").fill("njeri@example.com")
    page.get_by_label("Password", exact=True).fill("Kenya#2026")
    page.get_by_label("Repeat password").fill("Kenya#2026")
    page.get_by_label("I have read and agree").check()
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("heading", name="Check your email").wait_for()

    link = link_in(emails_to("njeri@example.com", "welcome")[0], "/verify-email/")
    page.goto(link)
    page.get_by_text("your email address is verified").wait_for()
    assert db.session.scalar(select(User.is_email_verified).where(User.email == "njeri@example.com"))

    page.get_by_label("Email").fill("njeri@example.com")
    page.get_by_label("Password").fill("Kenya#2026")
    page.get_by_role("button", name="Log in").click()
    open_menu_link(page, "Profile")
    assert page.get_by_label("Full name").input_value() == "Njeri Wambui"
    page.locator("header .menu summary").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You have logged out.").wait_for()
    assert page.viewport_size == {"width": 360, "height": 740}
