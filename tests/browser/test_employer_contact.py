"""On a 360 px phone with JavaScript off: an employer writes to a pool candidate who did not apply, the
learner accepts in their inbox, and only then does the employer see the learner's email and phone."""
import pytest

from mwanzo.auth.models import Role
from mwanzo.careers import services as careers
from mwanzo.extensions import db
from tests.browser.helpers import log_in, open_menu_link

pytestmark = pytest.mark.browser


def test_employer_writes_learner_accepts_and_employer_sees_the_contact_details(new_page, make):
    employer = make.user(email="hr@nakuru-grains.example", role=Role.EMPLOYER)
    careers.save_profile(employer, "Nakuru Grains Ltd", None, None, None)
    db.session.commit()
    learner = make.user(email="njeri@example.com", name="Njeri Wambui", phone="254722334455", show_to_employers=True)
    make.certificate(learner, make.course(title="Stock control"))

    employer_page = new_page(javascript=False)
    log_in(employer_page, "hr@nakuru-grains.example")
    open_menu_link(employer_page, "Candidates")
    candidate = employer_page.locator(f'[data-candidate="{learner.id}"]')
    assert "Stock control" in candidate.inner_text() and "njeri@example.com" not in candidate.inner_text()
    candidate.get_by_role("link", name="Send a message").click()
    employer_page.get_by_label("Your message").fill("Habari Njeri, we need a storekeeper in Nakuru. Shall we talk?")
    employer_page.get_by_role("button", name="Send message").click()
    employer_page.get_by_text("Your message is sent.").wait_for()
    assert "Waiting for an answer" in employer_page.locator("main").inner_text()
    assert "njeri@example.com" not in employer_page.content() and "0722 334 455" not in employer_page.content()

    learner_page = new_page(javascript=False)
    log_in(learner_page, "njeri@example.com")
    learner_page.goto("/notifications")
    learner_page.get_by_role("button", name="Nakuru Grains Ltd sent you a message").click()
    learner_page.get_by_text("we need a storekeeper in Nakuru").wait_for()
    learner_page.get_by_role("button", name="Accept and share my contact details").click()
    learner_page.get_by_text("the employer can now see your email and phone number").wait_for()

    employer_page.reload()
    details = employer_page.locator(".contact-details")
    assert "njeri@example.com" in details.inner_text() and "0722 334 455" in details.inner_text()
    assert employer_page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing wider than the phone
