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
