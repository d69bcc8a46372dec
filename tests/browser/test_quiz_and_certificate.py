"""A learner takes the last quiz of a course on a phone, passes, and downloads the certificate."""
import subprocess

import pytest
from sqlalchemy import select

from mwanzo.certificates.models import Certificate
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import VideoProgress
from mwanzo.quizzes.models import QuestionKind, StudentAnswer
from tests.browser.helpers import log_in, open_menu_link

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_take_a_quiz_and_download_the_certificate(new_page, make, tmp_path, javascript):
    student = make.user(email="baraka@example.com", name="Baraka Mwangi")
    course = make.course(title="Mobile Money for Traders")
    section = make.section(course, title="Getting started")
    lesson = make.lesson(section, title="Welcome")
    quiz = make.quiz(course, title="Final check", section_id=section.id, time_limit_seconds=600, passing_score=70)
    make.question(quiz, text="Which number do you dial for M-Pesa?", display_order=1,
                  answers=[("*334#", True), ("*100#", False)], explanation="Safaricom's menu is *334#.")
    make.question(quiz, text="Receipts should be kept.", kind=QuestionKind.TRUE_FALSE, display_order=2,
                  answers=[("True", True), ("False", False)])
    learning.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lesson.id, completed=True))
    db.session.commit()

    page = new_page(javascript=javascript)
    console_errors = []  # a CSP violation (inline script or style) shows up here
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    log_in(page, "baraka@example.com")

    page.goto(f"/learn/{course.slug}/lessons/{lesson.id}")
    page.get_by_role("link", name="Quiz: Final check").click()
    page.get_by_role("button", name="Start the quiz").click()
    countdown = page.locator(".countdown")
    first = countdown.text_content()
    assert first in ("10 min", "9:59", "9:58")  # the server's figure, shown even without JavaScript
    assert "Safaricom's menu" not in page.content()

    page.get_by_label("*334#").check()
    if javascript:
        page.wait_for_timeout(1200)
        assert countdown.text_content() not in ("10 min", first)  # the countdown ticks
        page.locator(".question").first.get_by_text("Saved").wait_for()  # saved over HTMX as the learner goes
        assert len(db.session.scalars(select(StudentAnswer)).all()) == 1
    page.get_by_label("True", exact=True).check()
    page.get_by_role("button", name="Submit answers").click()

    page.get_by_text("Your score: 100 %").wait_for()
    assert page.get_by_text("Passed", exact=True).first.is_visible()
    assert page.get_by_text("Safaricom's menu is *334#.").is_visible()

    open_menu_link(page, "Certificates")
    page.get_by_text("Mobile Money for Traders").wait_for()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    target = tmp_path / "certificate.pdf"
    download_info.value.save_as(target)
    code = db.session.scalar(select(Certificate.verification_code))
    assert download_info.value.suggested_filename == f"mwanzo-{code}.pdf"
    text = subprocess.run(["pdftotext", str(target), "-"], check=True, capture_output=True, text=True).stdout
    assert code in text and "Baraka Mwangi" in text
    assert page.viewport_size == {"width": 360, "height": 740}
    assert console_errors == []
