"""An employer reopens a closed job, deletes one (after a confirmation page) and downloads its applicants as CSV.
A deleted job leaves the board and the employer's pages; its applicants still see what they applied for."""
import csv
import io
from datetime import timedelta

from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers import services as careers
from mwanzo.careers.models import Job, JobApplication, JobStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from tests.confirmations import post_confirmed


def test_a_closed_job_reopens_and_takes_applications_again(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    job = make.job(employer, title="Shop assistant", status=JobStatus.CLOSED)
    assert "Shop assistant" not in client.get("/jobs").get_data(as_text=True)
    assert "Reopen" in client.get("/employer/jobs").get_data(as_text=True)
    assert client.post(f"/employer/jobs/{job.id}/reopen").status_code == 303
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == JobStatus.OPEN
    assert "Shop assistant" in client.get("/jobs").get_data(as_text=True)
    login(make.user())
    assert client.post(f"/jobs/{job.id}/apply", data={"note": "Hello"}).status_code == 303


def test_a_job_past_its_deadline_asks_for_a_new_deadline_before_reopening(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    job = make.job(employer, status=JobStatus.CLOSED, deadline=utcnow().date() - timedelta(days=3))
    response = client.post(f"/employer/jobs/{job.id}/reopen")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/employer/jobs/{job.id}/edit")
    assert "Set a new one" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == JobStatus.CLOSED


def test_deleting_needs_the_confirmation_page_and_keeps_the_applicants_history(client, make, login):
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer, title="Poultry farm hand")
    learner = make.user(name="Akinyi Otieno")
    careers.apply(job, learner, "I keep chickens.", [])
    db.session.commit()
    login(employer)
    # A bare POST (CSRF alone, as markup slipped into a page could send) is refused.
    assert client.post(f"/employer/jobs/{job.id}/delete").status_code == 400
    assert client.get(f"/employer/jobs/{job.id}/delete", headers={"HX-Request": "true"}).status_code == 400
    page = client.get(f"/employer/jobs/{job.id}/delete").get_data(as_text=True)
    assert "Poultry farm hand" in page and "still see their application" in page
    response = post_confirmed(client, f"/employer/jobs/{job.id}/delete")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Job, job.id).deleted_at is not None
    assert db.session.scalar(select(JobApplication.note)) == "I keep chickens."
    assert f"/jobs/{job.id}" not in client.get("/employer/jobs").get_data(as_text=True)
    for url in (f"/jobs/{job.id}", f"/employer/jobs/{job.id}/edit", f"/employer/jobs/{job.id}/applicants",
                f"/employer/jobs/{job.id}/applicants.csv"):
        assert client.get(url).status_code == 404, url
    application = db.session.scalar(select(JobApplication))
    assert client.post(f"/employer/applications/{application.id}/status", data={"status": "HIRED"}).status_code == 404
    assert "Poultry farm hand" not in client.get("/jobs").get_data(as_text=True)
    login(learner)
    mine = client.get("/applications").get_data(as_text=True)
    assert "Poultry farm hand" in mine and "Removed by the employer" in mine and f"/jobs/{job.id}" not in mine


def test_only_the_owner_deletes_and_a_token_for_one_job_does_not_delete_another(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    mine, other = make.job(employer), make.job(employer, title="Second")
    token_page = client.get(f"/employer/jobs/{mine.id}/delete").get_data(as_text=True)
    token = token_page.split('name="confirm_token" value="')[1].split('"')[0]
    assert client.post(f"/employer/jobs/{other.id}/delete", data={"confirm_token": token}).status_code == 400
    login(make.user(role=Role.EMPLOYER))
    assert client.get(f"/employer/jobs/{mine.id}/delete").status_code == 404
    assert client.post(f"/employer/jobs/{mine.id}/delete", data={"confirm_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Job, mine.id).deleted_at is None and db.session.get(Job, other.id).deleted_at is None


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_applicants_csv_lists_applicants_with_formulas_defused(client, make, login):
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer)
    learner = make.user(name="=HYPERLINK(\"http://evil.example\",\"Click\")", email="wanjiru@example.com",
                        phone="254712345678")
    certificate = make.certificate(learner)
    careers.apply(job, learner, "@SUM(A1:A9) please", [certificate.id])
    careers.apply(job, make.user(name="Brian Kiptoo", email="brian@example.com"), "-2+3", [])
    db.session.commit()
    login(employer)
    assert "applicants.csv" in client.get(f"/employer/jobs/{job.id}/applicants").get_data(as_text=True)
    header, *rows = read_csv(client.get(f"/employer/jobs/{job.id}/applicants.csv"))
    assert header == ["Name", "Email", "Phone", "Applied on", "Status", "Note", "Certificates"]
    first, second = rows
    assert first[0] == "'=HYPERLINK(\"http://evil.example\",\"Click\")" and first[1] == "wanjiru@example.com"
    assert first[2] == "254712345678" and first[4] == "New" and first[5] == "'@SUM(A1:A9) please"
    assert first[6] == certificate.verification_code
    assert second[:2] == ["Brian Kiptoo", "brian@example.com"] and second[5] == "'-2+3"
    login(make.user(role=Role.EMPLOYER))
    assert client.get(f"/employer/jobs/{job.id}/applicants.csv").status_code == 404


def test_the_applicants_csv_is_in_swahili_for_a_swahili_employer(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER, locale="sw"))
    job = make.job(employer)
    careers.apply(job, make.user(), None, [])
    db.session.commit()
    header, row = read_csv(client.get(f"/employer/jobs/{job.id}/applicants.csv"))
    assert header[0] == "Jina" and row[4] == "Mpya"
