"""Steps several browser tests share."""
from tests.factories import PASSWORD


def log_in(page, email):
    """Sign in through the login form, as a learner would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.locator("header .menu a[href='/profile']").wait_for(state="attached")


def open_menu_link(page, name):
    """Follow a link of the header's menu, opening the menu first as a person would."""
    menu = page.locator("header details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    menu.get_by_role("link", name=name).click()
