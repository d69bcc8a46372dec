"""Markup typed into titles, names and reviews stays text for an admin who opens those pages: no script runs,
no image handler fires and, although CSP trusts htmx, injected hx-* attributes cannot promote anyone.
Admin changes themselves go through a confirmation page, with or without JavaScript."""
import pytest

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser

SCRIPT = "<script>document.title='owned'</script>"
IMAGE = "<img src=x onerror=\"document.title='owned'\">"


def promote(user_id) -> str:
    """What a self-registered instructor types to make an admin's browser promote them."""
    return f"<div hx-post=\"/admin/users/{user_id}/role\" hx-vals='{{\"role\":\"ADMIN\"}}' hx-trigger=\"load\">go</div>"


def test_admin_pages_show_injected_markup_as_text_and_nobody_is_promoted(new_page, make):
    attacker = make.instructor(name="Mallory " + IMAGE)
    payload = promote(attacker.id)
    course = make.course(instructor_id=attacker.id, title=payload)
    make.quiz(course, title=payload)
    make.review(course, rating=1, text=SCRIPT + IMAGE + payload)
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer, title=payload)
    make.user(role=Role.ADMIN, email="admin@example.com", name="Amina Admin")

    page = new_page()
    console_errors = []  # a blocked inline script or a failed injected request would show up here
    page.on("console", lambda message: message.type == "error" and console_errors.append(message.text))
    log_in(page, "admin@example.com")
    pages = [f"/instructor/analytics/{course.id}", f"/courses/{course.slug}", f"/courses/{course.slug}/reviews",
             "/jobs", f"/jobs/{job.id}", "/admin/users", f"/admin/users/{attacker.id}", "/admin/courses",
             "/admin/analytics"]
    live_markup = {}
    for url in pages:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        count = page.locator("main").locator("[hx-post], [onerror], script").count()
        if count or page.title() == "owned":
            live_markup[url] = count

    db.session.expire_all()
    assert db.session.get(User, attacker.id).role == Role.INSTRUCTOR
    assert live_markup == {}
    page.goto(f"/instructor/analytics/{course.id}")
    assert page.get_by_role("heading", name=f"Scores in {payload}").is_visible()
    page.goto(f"/courses/{course.slug}/reviews")
    assert page.get_by_text(SCRIPT + IMAGE + payload).is_visible()
    assert console_errors == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_admin_changes_a_role_through_the_confirmation_page(new_page, make, javascript):
    user = make.user(name="Brian Kiptoo")
    make.user(role=Role.ADMIN, email="admin@example.com")
    page = new_page(javascript=javascript)
    log_in(page, "admin@example.com")
    page.goto(f"/admin/users/{user.id}")
    page.get_by_label("Role").select_option("INSTRUCTOR")
    page.get_by_role("button", name="Change role").click()
    page.get_by_text("Change the role of Brian Kiptoo").wait_for()
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.STUDENT  # asking changes nothing
    page.get_by_role("button", name="Yes, make this change").click()
    page.get_by_text("Saved and recorded in the audit log.").wait_for()
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.INSTRUCTOR
