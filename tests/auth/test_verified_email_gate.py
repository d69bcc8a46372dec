"""Only a verified email opens the studio or posts jobs; the refusal explains how to verify."""
import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role
from mwanzo.careers.models import Job
from mwanzo.courses.models import Course
from mwanzo.extensions import db
from tests.careers.test_jobs import job_form
from tests.emails import emails_to, link_in
from tests.studio.test_builder import course_form


def assert_sent_to_verify(client, response) -> None:
    assert response.status_code == 302 and response.location.endswith("/verify-email")
    page = client.get(response.location).get_data(as_text=True)
    assert "Please verify your email address first" in page and "Send the link again" in page


@pytest.mark.parametrize("method, path", [("GET", "/studio/"), ("GET", "/studio/courses/new"),
                                          ("POST", "/studio/courses/new")])
def test_unverified_instructor_cannot_open_the_studio(client, make, login, method, path):
    login(make.user(role=Role.INSTRUCTOR, is_email_verified=False))
    data = course_form(make.category()) if method == "POST" else None
    assert_sent_to_verify(client, client.open(path, method=method, data=data))
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unverified_employer_cannot_post_or_edit_jobs(client, make, login, method):
    employer = login(make.user(role=Role.EMPLOYER, is_email_verified=False))
    job = make.job(employer, title="Old title")
    for path in ("/employer/jobs/new", f"/employer/jobs/{job.id}/edit"):
        data = job_form(title="New title") if method == "POST" else None
        assert_sent_to_verify(client, client.open(path, method=method, data=data))
    assert db.session.scalars(select(Job.title)).all() == ["Old title"]


def test_htmx_request_from_an_unverified_account_navigates_to_the_verify_page(client, make, login):
    login(make.user(role=Role.INSTRUCTOR, is_email_verified=False))
    response = client.get("/studio/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/verify-email"


def test_resending_the_link_verifies_and_opens_the_studio(client, make, login):
    instructor = login(make.user(role=Role.INSTRUCTOR, is_email_verified=False))
    assert_sent_to_verify(client, client.get("/studio/"))
    assert client.post("/verify-email", data={"email": instructor.email}).status_code == 302
    sent = emails_to(instructor.email, "verify_email")
    assert len(sent) == 1
    client.get(link_in(sent[0], "/verify-email/"))
    assert client.get("/studio/").status_code == 200
