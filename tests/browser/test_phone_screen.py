"""What a learner sees on a 360 × 740 phone, with JavaScript on, off, and in Kiswahili: a one-row header
whose menu opens without JavaScript, no sideways scrolling, tap targets a thumb can hit, tables that
read, numbers written the way people write them."""
from decimal import Decimal

import pytest

from mwanzo.learning.models import EnrollmentStatus
from mwanzo.payments.models import PaymentStatus
from tests.browser.helpers import log_in
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser

CASES = {"js-on": (True, "en-KE"), "js-off": (False, "en-KE"), "kiswahili": (True, "sw-KE")}
WORDS = {"en-KE": {"menu": "Menu", "profile": "Profile"}, "sw-KE": {"menu": "Menyu", "profile": "Wasifu"}}


def assert_fits_the_phone(page):
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360, page.url
    header = page.locator("header.top").bounding_box()
    assert header["height"] <= 57, (page.url, header)


def assert_tappable(locator):
    box = locator.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    return box


@pytest.mark.parametrize("case", CASES)
def test_a_learners_pages_on_a_phone(new_page, make, case):
    javascript, locale = CASES[case]
    words = WORDS[locale]
    learner = make.user(email="zawadi@example.com", name="Zawadi Achieng", phone="254712345670",
                        locale=None if locale == "en-KE" else "sw")
    course = make.course(title="Kilimo cha mboga", price=Decimal("500"))
    lesson = ready_video_lesson(make.section(course), title="Kupanda mbegu")
    enrollment = make.enrollment(learner, course)
    make.payment(enrollment, "500", PaymentStatus.SUCCESS, mpesa_receipt="QKX7Y2ABCD")
    make.payment(enrollment, "500", PaymentStatus.CANCELLED)
    make.certificate(learner)

    page = new_page(javascript=javascript, locale=locale)
    log_in_as(page, learner.email, locale)
    for path in ("/", "/courses", f"/courses/{course.slug}", f"/learn/{course.slug}/lessons/{lesson.id}",
                 "/payments", "/certificates", "/profile", "/dashboard", "/jobs"):
        page.goto(path)
        assert_fits_the_phone(page)

    # The menu opens with a tap, JavaScript or not, and its links are thumb-sized.
    page.goto("/courses")
    profile = page.locator("header .menu").get_by_role("link", name=words["profile"])
    assert not profile.is_visible()
    summary = page.locator("header .menu summary")
    assert summary.inner_text().strip().startswith(words["menu"])
    summary.click()
    assert_tappable(page.locator("header .menu summary"))
    assert profile.is_visible() and assert_tappable(profile)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    # Payments: every row reads in full, the receipt is on screen.
    page.goto("/payments")
    receipt = page.get_by_role("link", name="QKX7Y2ABCD")
    box = receipt.bounding_box()
    assert receipt.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 360
    for status in page.locator("main table td:nth-child(4) a").all():  # "Success", "Cancelled": not cut off
        box = status.bounding_box()
        assert status.is_visible() and box["x"] + box["width"] <= 360 and status.inner_text().strip()

    # The lesson's way back to its course is a thumb-sized target.
    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    assert_tappable(page.locator("main p.meta a").first)

    # Certificate actions are buttons.
    page.goto("/certificates")
    download = page.locator("main a[download]").first
    assert_tappable(download)
    assert page.evaluate("(a) => getComputedStyle(a).backgroundColor", download.element_handle()) != "rgba(0, 0, 0, 0)"

    # The phone number as a person writes it.
    page.goto("/profile")
    assert page.locator("#phone").input_value() == "0712 345 670"


def log_in_as(page, email, locale):
    if locale == "en-KE":
        return log_in(page, email)
    from tests.factories import PASSWORD

    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button").click()
    page.locator("header .menu a[href='/profile']").wait_for(state="attached")


def test_checkout_and_payment_status_on_a_phone(new_page, make):
    learner = make.user(email="baraka@example.com", phone="254712345670")
    course = make.course(title="Bookkeeping", price=Decimal("800"))
    enrollment = make.enrollment(learner, course, status=EnrollmentStatus.PENDING_PAYMENT, activated_at=None)
    failed = make.payment(enrollment, "800", PaymentStatus.CANCELLED)
    page = new_page(javascript=False)
    log_in(page, learner.email)
    page.goto(f"/courses/{course.slug}/checkout")
    assert_fits_the_phone(page)
    assert_tappable(page.get_by_role("link", name="Back to the course"))
    assert page.get_by_label("M-Pesa phone number").input_value() == "0712 345 670"
    page.goto(f"/payments/{failed.id}")
    assert_fits_the_phone(page)
    assert "0712 345 678" in page.locator("main").inner_text()
    assert_tappable(page.get_by_role("link", name="Use another phone number"))
