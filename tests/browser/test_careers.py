"""An employer posts a job and a learner applies with a certificate, in Chromium on a phone screen."""
import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers.models import ApplicationCertificate, JobApplication
from mwanzo.extensions import db
from tests.browser.helpers import log_in, open_menu_link

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False], ids=["js-on", "js-off"])
def test_employer_posts_a_job_and_learner_applies_with_a_certificate(new_page, make, javascript):
    make.user(email="hr@safari.example", role=Role.EMPLOYER)
    learner = make.user(email="faith@example.com", name="Faith Mutua")
    course = make.course(title="Excel for Small Business")
    certificate = make.certificate(learner, course)

    employer_page = new_page(javascript=javascript)
    log_in(employer_page, "hr@safari.example")
    open_menu_link(employer_page, "Your jobs")
    employer_page.get_by_role("link", name="Post a job").click()
    employer_page.get_by_label("Job title").fill("Shop bookkeeper")
    employer_page.get_by_label("Description (Markdown)").fill("Keep our **books** tidy.")
    employer_page.get_by_label("Location").fill("Eldoret")
    employer_page.get_by_label("Kind of job").select_option("PART_TIME")
    employer_page.get_by_label("Salary from (KES per month, optional)").fill("25000")
    employer_page.locator("fieldset", has_text="Required courses").get_by_label("Excel for Small Business").check()
    employer_page.get_by_role("button", name="Save job").click()
    employer_page.get_by_text("The job is saved.").wait_for()
    assert employer_page.locator("h1").inner_text() == "Shop bookkeeper"

    learner_page = new_page(javascript=javascript)
    log_in(learner_page, "faith@example.com")
    learner_page.goto("/jobs")
    learner_page.get_by_label("Location (or \"remote\")").fill("eldoret")
    learner_page.get_by_role("button", name="Find jobs").click()
    learner_page.get_by_role("link", name="Shop bookkeeper").click()
    learner_page.get_by_label("A short note to the employer").fill("I finished the Excel course.")
    learner_page.get_by_label(f"Excel for Small Business ({certificate.verification_code})").check()
    learner_page.get_by_role("button", name="Send application").click()
    learner_page.get_by_text("Your application is sent.").wait_for()
    assert "New" in learner_page.locator("table").inner_text()

    application = db.session.scalar(select(JobApplication))
    assert application.applicant_id == learner.id and application.note == "I finished the Excel course."
    assert db.session.scalar(select(ApplicationCertificate.certificate_id)) == certificate.id

    employer_page.get_by_role("link", name="Applicants").click()
    employer_page.get_by_text("Faith Mutua").wait_for()
    row = employer_page.locator(f'[data-certificate="{certificate.verification_code}"]')
    assert "Valid" in row.inner_text()
    employer_page.get_by_label("Status").select_option("SHORTLISTED")
    employer_page.get_by_role("button", name="Save", exact=True).click()
    employer_page.get_by_text("the applicant has been emailed").wait_for()
