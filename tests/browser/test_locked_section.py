"""On a 360 px phone with JavaScript off, a learner sees that the second section is locked, why and how to
open it, finishes the first section, and the second one opens."""
import pytest

from mwanzo.extensions import db
from mwanzo.learning import release, services
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_a_locked_section_says_why_and_opens_once_the_first_is_finished(new_page, make):
    learner = make.user()
    course = make.course()
    first, second = make.section(course, title="Misingi", display_order=0), make.section(course, title="Zaidi",
                                                                                       display_order=1)
    reading = make.lesson(first, title="Soma kwanza")
    later = make.lesson(second, title="Hatua ya pili", body_markdown="Karibu kwenye sehemu ya pili.")
    release.set_section_rule(second, first.id, None, None)
    services.enroll_free(learner, course)
    db.session.commit()
    page = new_page(javascript=False)
    log_in(page, learner.email)

    page.goto(f"/learn/{course.slug}/lessons/{reading.id}")
    curriculum = page.get_by_role("navigation", name="Curriculum")
    assert curriculum.get_by_text("Opens when you finish the section “Misingi”.").is_visible()
    assert curriculum.get_by_role("link", name="Hatua ya pili").count() == 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360

    page.goto(f"/learn/{course.slug}/lessons/{later.id}")  # a saved link does not get round it
    assert page.get_by_role("heading", name="Not open yet").is_visible()
    assert page.get_by_text("Opens when you finish the section “Misingi”.").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Back to the course").click()

    page.get_by_role("button", name="Mark complete").click()  # finishes "Misingi", goes on to the next lesson
    assert page.get_by_role("heading", name="Hatua ya pili").is_visible()
    assert page.get_by_role("navigation", name="Curriculum").get_by_text("Opens when you finish").count() == 0
    assert page.get_by_text("Karibu kwenye sehemu ya pili.").is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
