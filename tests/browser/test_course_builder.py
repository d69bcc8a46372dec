"""Reordering in the builder: HTMX swaps the curriculum in place; without JS the form posts and reloads."""
import pytest

from tests.browser.test_video_upload import sign_in

pytestmark = pytest.mark.browser
SECTION_TITLES = "#curriculum input[id^='section-']"


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_move_section_down(new_page, make, javascript):
    owner = make.instructor()
    course = make.draft_course(owner)
    make.section(course, title="Basics", display_order=0)
    make.section(course, title="Practice", display_order=1)
    page = new_page(javascript=javascript)
    sign_in(page, owner)
    page.goto(f"/studio/courses/{course.id}")
    if javascript:
        page.evaluate("window.sameDocument = true")
    page.get_by_role("button", name="Move section down: Basics").click()
    page.locator(SECTION_TITLES).first.and_(page.locator("[value='Practice']")).wait_for()
    assert [page.locator(SECTION_TITLES).nth(n).get_attribute("value") for n in (0, 1)] == ["Practice", "Basics"]
    if javascript:
        assert page.evaluate("window.sameDocument") is True  # swapped in place, no page load
