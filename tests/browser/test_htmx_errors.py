"""What a person sees when an htmx request fails: the message in the page's one alert region (role="alert"),
and the page around it left as it was."""
import datetime as dt

import pytest
from playwright.sync_api import expect

from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.quizzes import services as quizzes
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, user):
    page.goto("/login")
    page.locator("input[name=email]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form[action^='/login'] button").click()
    page.wait_for_url(lambda url: "/login" not in url)


def open_attempt(new_page, make, locale="en"):
    """A learner's quiz attempt open on a phone; returns the page, the attempt and the enrolment."""
    learner = make.user(locale=locale)
    course = make.course(title="Mobile Money for Traders")
    quiz = make.quiz(course, title="Final check", time_limit_seconds=600)
    make.question(quiz, text="Which number do you dial for M-Pesa?", answers=[("*334#", True), ("*100#", False)])
    for n in range(1, 7):  # a long page: the last question is far below the header
        make.question(quiz, text=f"Step {n}: is the float counted?", answers=[(f"Counted {n}", True),
                                                                          (f"Skipped {n}", False)])
    make.question(quiz, text="Should receipts be kept?", answers=[("Yes", True), ("No", False)])
    enrollment = learning.enroll_free(learner, course)
    attempt = quizzes.start_attempt(quiz, learner)
    db.session.commit()
    page = new_page()
    sign_in(page, learner)
    page.goto(f"/quizzes/attempts/{attempt.id}")
    page.evaluate("window.sameDocument = true")
    return page, attempt, enrollment


def assert_quiz_page_intact(page):
    assert page.evaluate("window.sameDocument") is True  # no page load, nothing swapped in its place
    assert page.locator("header.top").count() == 1 and page.locator("main").count() == 1
    expect(page.locator("fieldset.question")).to_have_count(8)
    expect(page.locator("#quiz-form button")).to_be_visible()


def assert_alert(page, text):
    alert = page.get_by_role("alert").filter(has_text=text)
    expect(alert).to_have_count(1)
    expect(alert).to_be_visible()
    assert alert.get_attribute("id") == "flash-errors"
    expect(alert).to_have_text(text)
    expect(alert).to_be_in_viewport()  # at the top of the screen wherever the page is scrolled


def test_a_422_from_the_course_builder_shows_in_the_alert_and_keeps_the_curriculum(new_page, make):
    owner = make.instructor()
    course = make.draft_course(owner)
    make.section(course, title="Basics", display_order=0)
    make.section(course, title="Practice", display_order=1)
    page = new_page()
    sign_in(page, owner)
    page.goto(f"/studio/courses/{course.id}")
    page.evaluate("window.sameDocument = true")
    title = page.locator("#curriculum input[id^='section-']").first
    title.fill("   ")
    page.locator("#curriculum form.row").first.get_by_role("button", name="Rename").click()

    assert_alert(page, "A section needs a title of up to 200 characters.")
    assert page.evaluate("window.sameDocument") is True
    expect(page.locator("#curriculum")).to_have_count(1)
    expect(page.locator("#curriculum h2")).to_have_text("Curriculum")
    expect(page.locator("#curriculum input[id^='section-']")).to_have_count(2)
    assert page.locator("#curriculum header, #curriculum main, #curriculum footer").count() == 0
    assert page.locator("header.top").count() == 1


def test_a_403_when_access_ended_during_the_quiz_shows_in_the_alert(new_page, make):
    page, _attempt, enrollment = open_attempt(new_page, make)
    learning.revoke_enrollment(enrollment)  # e.g. the payment was refunded meanwhile
    db.session.commit()
    page.get_by_label("Yes").check()  # the last question, at the bottom of the page
    assert page.evaluate("window.scrollY") > 300

    assert_alert(page, "Enrol in this course to take its quizzes.")
    assert_quiz_page_intact(page)


def test_a_409_time_is_up_shows_in_the_alert_in_kiswahili(new_page, make):
    page, attempt, _enrollment = open_attempt(new_page, make, locale="sw")
    # The ten minutes ran out (on the server's clock) while the page stayed open.
    attempt.started_at -= dt.timedelta(minutes=11)
    attempt.deadline_at -= dt.timedelta(minutes=11)
    db.session.commit()
    page.get_by_label("*334#").check()

    assert_alert(page, "Muda wa jaribio hili umekwisha.")
    assert page.locator("html").get_attribute("lang") == "sw"
    assert_quiz_page_intact(page)
    expect(page.locator(".save-status").first).to_have_text("")  # not marked as saved


def test_a_dropped_connection_shows_in_the_alert_and_clears_when_a_save_works(new_page, make):
    """The phone believes it is online (Wi-Fi without internet) but the request dies on the way. When the
    phone knows it is offline, the answer waits on the phone instead (tests/browser/test_offline.py)."""
    page, _attempt, _enrollment = open_attempt(new_page, make)
    page.route("**/answers/**", lambda route: route.abort("internetdisconnected"))
    page.get_by_label("*334#").check()

    assert_alert(page, "No connection. Check your data or Wi-Fi and try again.")
    assert_quiz_page_intact(page)

    page.unroute("**/answers/**")
    page.get_by_label("Yes").check()
    expect(page.locator(".save-status").last).to_have_text("Saved")
    expect(page.locator("#flash-errors")).to_have_text("")
    assert_quiz_page_intact(page)


def test_an_answer_the_proxy_refuses_shows_the_general_message(new_page, make):
    page, _attempt, _enrollment = open_attempt(new_page, make)
    page.route("**/answers/**", lambda route: route.fulfill(status=502, body="<html><h1>Bad gateway</h1></html>",
                                                            content_type="text/html"))
    page.get_by_label("*334#").check()

    assert_alert(page, "That did not work. Please try again in a moment.")
    assert_quiz_page_intact(page)
    assert "Bad gateway" not in page.content()


def test_an_ended_session_shows_in_the_alert_with_a_way_back(new_page, make):
    from mwanzo.auth import services as auth
    from mwanzo.auth.models import User

    page, attempt, enrollment = open_attempt(new_page, make)
    auth.end_sessions(db.session.get(User, enrollment.student_id))  # e.g. the password was changed on another phone
    db.session.commit()
    page.get_by_label("*334#").check()

    assert_alert(page, "You are not logged in any more. Log in again, then try once more. Log in")
    assert_quiz_page_intact(page)
    page.get_by_role("alert").get_by_role("link", name="Log in").click()
    page.wait_for_url(f"**/login?next=/quizzes/attempts/{attempt.id}")
