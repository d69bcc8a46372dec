"""The instructor builds questions in place with HTMX, on a phone-sized screen."""
import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.quizzes.models import Question
from tests.browser.test_careers import log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_add_edit_and_reorder_questions(new_page, make, javascript):
    instructor = make.user(role=Role.INSTRUCTOR, email="teacher@example.com")
    course = make.course(instructor_id=instructor.id)
    quiz = make.quiz(course, title="Week 1 check")
    page = new_page(javascript=javascript)
    log_in(page, "teacher@example.com")
    page.goto(f"/studio/courses/{course.id}/quizzes/{quiz.id}")
    marker = page.evaluate("() => (window.__marker = 'same page')") if javascript else None

    add_form = page.locator("#questions form.card").last
    add_form.get_by_label("Question").fill("Is M-Pesa a mobile money service?")
    add_form.get_by_label("Kind").select_option("TRUE_FALSE")
    add_form.get_by_role("checkbox").first.check()
    add_form.get_by_role("button", name="Add question").click()
    page.locator("#questions li").filter(has_text="Is M-Pesa a mobile money service?").wait_for()

    add_form = page.locator("#questions form.card").last
    add_form.get_by_label("Question").fill("Only one answer, which is wrong")
    add_form.get_by_label("Answer 2").fill("")
    add_form.get_by_role("button", name="Add question").click()
    page.get_by_text("at least two answers").wait_for()

    page.goto(f"/studio/courses/{course.id}/quizzes/{quiz.id}") if not javascript else None
    add_form = page.locator("#questions form.card").last
    add_form.get_by_label("Question").fill("Which code opens the M-Pesa menu?")
    add_form.get_by_label("Answer 1").fill("*334#")
    add_form.get_by_label("Answer 2").fill("*100#")
    add_form.get_by_role("checkbox").first.check()
    add_form.get_by_role("button", name="Add question").click()
    second = page.locator("#questions li").filter(has_text="Which code opens the M-Pesa menu?")
    second.wait_for()
    second.get_by_role("button", name="Move up").click()
    page.locator("#questions li").first.filter(has_text="Which code opens").wait_for()

    page.locator("#questions li").first.get_by_role("link", name="Edit").click()
    edit_form = page.locator("#questions li").first if javascript else page  # in place, or its own page
    edit_form.get_by_label("Question").fill("Which USSD code opens the M-Pesa menu?")
    page.get_by_role("button", name="Save question").click()
    page.locator("#questions li").first.filter(has_text="Which USSD code").wait_for()

    texts = db.session.scalars(select(Question.text).order_by(Question.display_order)).all()
    assert texts == ["Which USSD code opens the M-Pesa menu?", "Is M-Pesa a mobile money service?"]
    if javascript:
        assert page.evaluate("() => window.__marker") == marker  # everything happened in place
