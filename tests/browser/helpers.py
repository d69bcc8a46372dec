"""Steps several browser tests share."""
from tests.factories import PASSWORD


def log_in(page, email):
    """Sign in through the login form, as a learner would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Profile").wait_for()
