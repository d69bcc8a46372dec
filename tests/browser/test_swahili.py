"""The home page in Swahili: chosen by the phone's language, and by the switcher without JavaScript."""
import pytest

pytestmark = pytest.mark.browser


def test_phone_set_to_swahili_gets_the_swahili_home_page(browser, live_server, make):
    make.course(title="Ufugaji wa Kuku")
    context = browser.new_context(base_url=live_server, locale="sw-KE", viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        page.goto("/")
        assert page.get_by_role("heading", name="Jifunze ujuzi wa kazi kwenye simu yako").is_visible()
        assert page.locator("html").get_attribute("lang") == "sw"
        assert page.get_by_role("link", name="Jisajili").is_visible()
    finally:
        context.close()


def test_switcher_changes_the_language_without_javascript(new_page):
    page = new_page(javascript=False)
    page.goto("/")
    assert page.get_by_role("heading", name="Learn job-ready skills on your phone").is_visible()
    page.get_by_label("Language").select_option("sw")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("heading", name="Jifunze ujuzi wa kazi kwenye simu yako").wait_for()
    page.goto("/login")
    assert page.get_by_role("heading", name="Ingia").is_visible()


def test_swahili_chosen_before_sign_up_stays_on_every_device_and_in_every_email(new_page):
    from sqlalchemy import select

    from mwanzo.auth.models import User
    from mwanzo.extensions import db
    from tests.browser.helpers import open_menu_link
    from tests.emails import emails_to, link_in

    page = new_page(javascript=False, locale="en-US")
    page.goto("/register")
    page.get_by_label("Language").select_option("sw")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("button", name="Fungua akaunti").wait_for()
    page.locator("#name").fill("Mũthoni Njogũ")
    page.locator("#email").fill("muthoni@example.com")
    page.locator("#phone").fill("0712 345 670")
    page.locator("#password").fill("Kenya#2026")
    page.locator("#confirm").fill("Kenya#2026")
    page.locator("#consent").check()
    page.get_by_role("button", name="Fungua akaunti").click()
    page.wait_for_url("**/register/check-email")
    [welcome] = emails_to("muthoni@example.com", "welcome")
    assert welcome.subject == "Karibu Mwanzo Skills Campus"

    second_phone = new_page(javascript=True, locale="en-US")  # an English phone, no cookie
    second_phone.goto(link_in(welcome, "/verify-email/"))
    second_phone.goto("/login")
    second_phone.locator("#email").fill("muthoni@example.com")
    second_phone.locator("#password").fill("Kenya#2026")
    second_phone.locator("form:not(.lang) button").click()
    open_menu_link(second_phone, "Wasifu")
    assert second_phone.locator("html").get_attribute("lang") == "sw"
    second_phone.get_by_role("button", name="Hifadhi wasifu").click()  # saving changes nothing else
    second_phone.get_by_text("Wasifu wako umehifadhiwa.").wait_for()
    assert second_phone.locator("html").get_attribute("lang") == "sw"
    assert db.session.scalar(select(User.locale).where(User.email == "muthoni@example.com")) == "sw"
