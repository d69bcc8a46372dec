"""On a 360 px phone with JavaScript off, a learner answers short-answer, numeric and matching questions and
sees the score and each question's feedback."""
from decimal import Decimal

import pytest

from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.quizzes.models import AnswersShown, QuestionKind
from tests.browser.helpers import axe_violations, log_in

pytestmark = pytest.mark.browser


def border_quiz(make, student, course):
    quiz = make.quiz(course, title="Border check", passing_score=70, answers_shown=AnswersShown.IMMEDIATELY)
    make.question(quiz, text="Which town is the Busia border post in?", kind=QuestionKind.SHORT_ANSWER,
                  display_order=1, answers=[("Busia", True)], explanation="Busia sits on both sides of the border.")
    make.question(quiz, text="How many shillings is 2.5 % of 1,000?", kind=QuestionKind.NUMERIC, display_order=2,
                  answers=[], numeric_answer=Decimal("25"), numeric_tolerance=Decimal("0.5"),
                  explanation="1,000 × 0.025 = 25.")
    make.question(quiz, text="Match each currency with its country", kind=QuestionKind.MATCHING, points=2,
                  display_order=3, answers=[("Shilingi", "Kenya"), ("Franc", "Rwanda")],
                  explanation="Rwanda pays in francs.")
    learning.enroll_free(student, course)
    db.session.commit()
    return quiz


def test_typed_and_matching_questions_without_javascript(new_page, make):
    student = make.user(email="zawadi@example.com", name="Zawadi Achieng")
    quiz = border_quiz(make, student, make.course(title="Trading Across the Border"))
    page = new_page(javascript=False)
    log_in(page, "zawadi@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    page.get_by_role("button", name="Start the quiz").click()
    assert "Busia sits" not in page.content()
    page.get_by_label("Your answer", exact=True).fill("  busia ")
    page.get_by_label("Your answer (a number)").fill("25,2")
    page.get_by_label("Shilingi").select_option(label="Kenya")
    page.get_by_label("Franc").select_option(label="Kenya")  # one pair of two wrong: half its points
    page.get_by_role("button", name="Submit answers").click()

    page.get_by_text("Your score: 75 %").wait_for()  # 1 + 1 + 1 of 2 = 3 of 4
    assert page.get_by_text("Passed", exact=True).first.is_visible()
    for feedback in ("Busia sits on both sides of the border.", "1,000 × 0.025 = 25.", "Rwanda pays in francs."):
        assert page.get_by_text(feedback).is_visible()
    assert page.get_by_text("Correct answer: 25 (± 0.5)").is_visible()
    assert page.get_by_text("Points: 1 of 2").is_visible()
    assert page.viewport_size == {"width": 360, "height": 740}
    # Nothing is wider than the phone's screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360


def test_the_new_quiz_pages_have_no_wcag_violations(new_page, make):
    instructor = make.instructor(email="mwalimu@example.com")
    student = make.user(email="zawadi@example.com")
    course = make.course(title="Trading Across the Border", instructor_id=instructor.id)
    quiz = border_quiz(make, student, course)
    make.question(course, text="A bank question", kind=QuestionKind.MATCHING, answers=[("A", "1"), ("B", "2")])
    problems = {}
    page = new_page(javascript=True, bypass_csp=True)
    log_in(page, "zawadi@example.com")
    page.goto(f"/quizzes/{quiz.id}")
    page.get_by_role("button", name="Start the quiz").click()
    page.get_by_role("button", name="Submit answers").wait_for()
    problems["attempt"] = axe_violations(page)
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("Your score").wait_for()
    problems["result"] = axe_violations(page)
    page = new_page(javascript=True, bypass_csp=True)
    log_in(page, "mwalimu@example.com")
    for path in (f"/studio/courses/{course.id}/bank", f"/studio/courses/{course.id}/quizzes/{quiz.id}/allowances",
                 f"/studio/courses/{course.id}/quizzes/{quiz.id}"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        problems[path] = axe_violations(page)
    problems = {where: found for where, found in problems.items() if found}
    assert not problems, "\n".join(f"{where}: {v}" for where, vs in problems.items() for v in vs)
