"""Ask → the instructor answers → the learner sees the notification and accepts the answer, on a 360 px phone
screen, with JavaScript on (answers post in place) and off (plain forms)."""
import pytest
from sqlalchemy import select

from mwanzo.discussions.models import CourseAnswer
from mwanzo.extensions import db
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_learner_asks_instructor_answers_learner_accepts(new_page, make, javascript):
    teacher = make.instructor(email="amina@example.com", name="Amina Wanjiku")
    course = make.course(instructor_id=teacher.id, title="Excel for Small Business")
    lesson = make.lesson(make.section(course), title="Adding up a column")
    learner = make.user(email="juma@example.com", name="Juma Otieno")
    make.enrollment(learner, course)

    learner_page = new_page(javascript=javascript)
    log_in(learner_page, "juma@example.com")
    learner_page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    learner_page.get_by_role("link", name="Questions about this lesson").click()
    learner_page.get_by_text("Ask a question").click()
    learner_page.get_by_label("Your question in one line").fill("SUM gives zero")
    learner_page.get_by_label("Details (Markdown)").fill("My column shows **0** after =SUM(B2:B9).")
    learner_page.get_by_role("button", name="Post question").click()
    learner_page.get_by_text("Your question is posted.").wait_for()
    assert learner_page.locator("h1").inner_text() == "SUM gives zero"
    assert fits_the_screen(learner_page)

    teacher_page = new_page(javascript=javascript)
    log_in(teacher_page, "amina@example.com")
    teacher_page.goto("/studio/questions")
    teacher_page.get_by_role("link", name="SUM gives zero").click()
    teacher_page.get_by_label("Your answer (Markdown)").fill("The cells hold text: use *Convert to Number*.")
    teacher_page.get_by_role("button", name="Post answer").click()
    teacher_page.locator(".answer", has_text="Convert to Number").wait_for()
    if javascript:  # swapped in place: no new page, the form is empty again
        assert teacher_page.get_by_label("Your answer (Markdown)").input_value() == ""
    else:
        teacher_page.get_by_text("Your answer is posted.").wait_for()

    learner_page.goto("/courses")
    badge = learner_page.locator("header .badge")
    assert badge.inner_text() == "1"
    learner_page.get_by_role("link", name="Notifications").click()
    learner_page.get_by_role("button", name="Amina Wanjiku answered your question “SUM gives zero”").click()
    learner_page.locator(".answer", has_text="Convert to Number").wait_for()
    assert learner_page.locator("header .badge").count() == 0
    learner_page.get_by_role("button", name="Accept this answer").click()
    learner_page.locator(".answer.accepted", has_text="Accepted answer").wait_for()
    assert fits_the_screen(learner_page)
    db.session.expire_all()
    assert db.session.scalar(select(CourseAnswer.is_accepted))


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_a_long_thread_opens_more_answers_in_place_or_as_the_next_page(new_page, make, javascript):
    from mwanzo.discussions import services

    teacher = make.instructor(email="amina@example.com", name="Amina Wanjiku")
    course = make.course(instructor_id=teacher.id, title="Excel for Small Business")
    learner = make.user(email="juma@example.com", name="Juma Otieno")
    make.enrollment(learner, course)
    question = services.ask(learner, course, "Which formula counts sales?", "Per day, please.")
    for n in range(25):
        services.answer(teacher, course, question, f"Idea number {n}", "/")
    db.session.commit()

    page = new_page(javascript=javascript)
    log_in(page, "juma@example.com")
    page.goto(f"/learn/{course.slug}/questions/{question.id}")
    assert page.locator("article.answer").count() == 10
    page.get_by_role("link", name="Show 15 more answers").click()
    page.get_by_text("Idea number 19").wait_for()
    if javascript:  # loaded in place: the first ten are still there, on the same address
        assert page.locator("article.answer").count() == 20 and "page=" not in page.url
        page.get_by_role("link", name="Show 5 more answers").click()
        page.get_by_text("Idea number 24").wait_for()
        assert page.locator("article.answer").count() == 25
    else:  # the next page, opened at its answers
        assert "page=2" in page.url and page.locator("article.answer").count() == 10
        assert page.get_by_role("link", name="Back to the first answers").is_visible()
    assert page.get_by_text("Idea number 0", exact=True).count() == int(javascript)
    assert fits_the_screen(page)
