"""axe-core (WCAG 2.1 A and AA rules) on the main pages of every role, in English and Kiswahili, on a 360 × 740
phone with JavaScript on. The app's CSP allows no injected script, so this test's browser context alone
bypasses CSP to load axe; the pages themselves are served exactly as to anyone."""
from decimal import Decimal

import pytest

from mwanzo.auth.models import Role
from mwanzo.careers import contacts
from mwanzo.careers import services as careers
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.payments.models import PaymentStatus
from tests.browser.helpers import axe_violations
from tests.factories import PASSWORD
from tests.learning.media_fixtures import ready_video_lesson

pytestmark = pytest.mark.browser


def sign_in(page, email):
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button").click()
    page.locator("header .menu a[href='/profile']").wait_for(state="attached")


@pytest.mark.parametrize("locale", ["en-KE", "sw-KE"])
def test_main_pages_of_every_role_have_no_wcag_violations(new_page, make, locale):
    lang = None if locale == "en-KE" else "sw"
    instructor = make.instructor(email="mwalimu@example.com", name="Wanjirũ Mũthoni", locale=lang)
    course = make.course(title="Kilimo cha mboga", price=Decimal("500"), instructor_id=instructor.id)
    section = make.section(course)
    lesson = ready_video_lesson(section, title="Kupanda mbegu")
    make.lesson(section, title="Kusoma")
    learner = make.user(email="zawadi@example.com", name="Zawadi Achieng", locale=lang)
    enrollment = make.enrollment(learner, course, status=EnrollmentStatus.ACTIVE)
    make.payment(enrollment, "500", PaymentStatus.SUCCESS, mpesa_receipt="QKX7Y2ABCD")
    make.certificate(learner)
    employer = make.user(role=Role.EMPLOYER, email="ajira@example.com", locale=lang)
    job = make.job(employer)
    careers.request_verification(careers.save_profile(employer, "Ajira Bora Ltd", None, None, None), "PVT-1",
                                 "Plot 4, Moi Avenue, Mombasa")
    learner.show_to_employers = True
    contacts.send_request(employer, learner, "Habari, tuna kazi ya karani Mombasa. Tuzungumze?")
    db.session.commit()
    admin = make.user(role=Role.ADMIN, email="msimamizi@example.com", locale=lang)

    pages = {
        None: ["/", "/courses", f"/courses/{course.slug}", "/jobs", f"/jobs/{job.id}", "/login", "/register",
               "/verify"],
        learner.email: ["/dashboard", f"/learn/{course.slug}/lessons/{lesson.id}", "/payments", "/certificates",
                        "/profile", "/applications", "/contact-requests"],
        instructor.email: ["/studio/", f"/studio/courses/{course.id}", "/instructor/analytics/"],
        employer.email: ["/employer/jobs", "/employer/jobs/new", "/employer/candidates", "/employer/contacts",
                         "/employer/verification", f"/employer/jobs/{job.id}/delete"],
        admin.email: ["/admin/", "/admin/users", "/admin/payments", "/admin/courses", "/admin/employers"],
    }
    problems = {}
    for email, paths in pages.items():
        page = new_page(javascript=True, locale=locale, bypass_csp=True)
        if email:
            sign_in(page, email)
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if violations := axe_violations(page):
                problems[path] = violations
    assert not problems, "\n".join(f"{path}: {v}" for path, vs in problems.items() for v in vs)
