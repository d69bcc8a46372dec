"""Applying for jobs: one application per job, own certificates only, open jobs only; employers review."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role
from mwanzo.careers.models import ApplicationCertificate, ApplicationStatus, JobApplication, JobStatus
from mwanzo.careers.services import local_today
from mwanzo.database import utcnow
from mwanzo.extensions import db
from tests.emails import emails_to, link_in


def applications():
    return db.session.scalar(select(func.count()).select_from(JobApplication))


def test_learner_applies_with_own_certificate_and_sees_status(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER), title="Data clerk")
    learner = make.user()
    certificate = make.certificate(learner, make.course(title="Excel basics"))
    login(learner)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "Excel basics" in page and certificate.verification_code in page
    response = client.post(f"/jobs/{job.id}/apply", data={"note": "I type fast.",
                                                            "certificates": [str(certificate.id)]})
    assert response.status_code == 303 and response.headers["Location"].endswith("/applications")
    application = db.session.scalar(select(JobApplication))
    assert (application.note, application.status) == ("I type fast.", ApplicationStatus.NEW)
    assert db.session.scalar(select(ApplicationCertificate.certificate_id)) == certificate.id
    listing = client.get("/applications").get_data(as_text=True)
    assert "Data clerk" in listing and "New" in listing


def test_second_application_shows_the_existing_one(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    login(make.user())
    assert client.post(f"/jobs/{job.id}/apply", data={"note": "first"}).status_code == 303
    again = client.post(f"/jobs/{job.id}/apply", data={"note": "second"}, follow_redirects=True)
    body = again.get_data(as_text=True)
    assert "already applied" in body and "Your application" in body and "first" in body
    assert "Send application" not in body
    assert applications() == 1


def test_someone_elses_certificate_is_refused(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    other_certificate = make.certificate(make.user())
    login(make.user())
    response = client.post(f"/jobs/{job.id}/apply", data={"certificates": [str(other_certificate.id)]})
    assert response.status_code == 422  # not among the learner's own choices
    assert applications() == 0


def test_own_revoked_certificate_cannot_be_attached(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    learner = make.user()
    certificate = make.certificate(learner)
    certificate.revoked_at = utcnow()
    db.session.commit()
    login(learner)
    assert client.post(f"/jobs/{job.id}/apply", data={"certificates": [str(certificate.id)]}).status_code == 422
    assert applications() == 0


def test_service_refuses_certificates_that_are_not_the_applicants(make):
    from mwanzo.careers import services

    job = make.job(make.user(role=Role.EMPLOYER))
    learner, other = make.user(), make.user()
    theirs = make.certificate(other)
    with pytest.raises(services.CertificateNotYours):
        services.apply(job, learner, None, [theirs.id])
    db.session.rollback()
    assert applications() == 0


def test_closed_or_expired_jobs_refuse_applications(client, make, login):
    employer = make.user(role=Role.EMPLOYER)
    closed = make.job(employer, status=JobStatus.CLOSED)
    expired = make.job(employer, deadline=local_today() - timedelta(days=1))
    today = make.job(employer, deadline=local_today())
    login(make.user())
    for job in (closed, expired):
        response = client.post(f"/jobs/{job.id}/apply", data={"note": "please"})
        assert response.status_code == 409 and "no longer taking applications" in response.get_data(as_text=True)
        assert "Send application" not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert applications() == 0
    assert client.post(f"/jobs/{today.id}/apply", data={}).status_code == 303  # the deadline day still counts


def test_only_learners_apply(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    login(make.user(role=Role.EMPLOYER))
    assert client.post(f"/jobs/{job.id}/apply", data={}).status_code == 403
    assert client.get("/applications").status_code == 403


def test_a_learner_cannot_see_anothers_application(client, make, login):
    job = make.job(make.user(role=Role.EMPLOYER))
    first = make.user(name="Achieng First")
    login(first)
    client.post(f"/jobs/{job.id}/apply", data={"note": "secret note from Achieng"})
    login(make.user(name="Kamau Second"))
    assert "secret note from Achieng" not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "secret note" not in client.get("/applications").get_data(as_text=True)
    assert client.get(f"/employer/jobs/{job.id}/applicants").status_code == 403
    application = db.session.scalar(select(JobApplication))
    assert client.post(f"/employer/applications/{application.id}/status",
                       data={"status": "HIRED"}).status_code == 403


def test_employer_sees_applicants_with_live_certificate_status_and_changes_status(client, make, login):
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer, title="Farm manager")
    learner = make.user(name="Wanjiku Njeri", email="wanjiku@example.com", phone="254712345678")
    valid, revoked = make.certificate(learner), make.certificate(learner)
    login(learner)
    client.post(f"/jobs/{job.id}/apply", data={"note": "Hire me", "certificates": [str(valid.id), str(revoked.id)]})
    revoked.revoked_at = utcnow()  # revoked after she applied: the employer must see it now
    db.session.commit()

    login(employer)
    page = client.get(f"/employer/jobs/{job.id}/applicants").get_data(as_text=True)
    assert "Wanjiku Njeri" in page and "wanjiku@example.com" in page and "0712 345 678" in page
    valid_row = page.split(f'data-certificate="{valid.verification_code}"')[1].split("</li>")[0]
    revoked_row = page.split(f'data-certificate="{revoked.verification_code}"')[1].split("</li>")[0]
    assert "Valid" in valid_row and "Revoked" in revoked_row

    application = db.session.scalar(select(JobApplication))
    response = client.post(f"/employer/applications/{application.id}/status", data={"status": "SHORTLISTED"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert "Saved; the applicant has been emailed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(JobApplication, application.id).status == ApplicationStatus.SHORTLISTED
    [email] = emails_to("wanjiku@example.com", "application_status")
    assert "Farm manager" in email.subject and "Shortlisted" in email.body_text
    assert link_in(email, "/applications") == "/applications"
    # Saving the same status again does not email twice.
    client.post(f"/employer/applications/{application.id}/status", data={"status": "SHORTLISTED"})
    assert len(emails_to("wanjiku@example.com", "application_status")) == 1
    assert client.post(f"/employer/applications/{application.id}/status", data={"status": "BOSS"}).status_code == 422


def test_status_form_needs_csrf(client, make, login, csrf_enabled):
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer)
    application = JobApplication(job_id=job.id, applicant_id=make.user().id)
    db.session.add(application)
    db.session.commit()
    login(employer)
    assert client.post(f"/employer/applications/{application.id}/status", data={"status": "HIRED"}).status_code == 400
    page = client.get(f"/employer/jobs/{job.id}/applicants").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post(f"/employer/applications/{application.id}/status",
                           data={"status": "HIRED", "csrf_token": token})
    assert response.status_code == 303


def test_employer_verifies_a_certificate_code(client, make, login):
    certificate = make.certificate(make.user())
    login(make.user(role=Role.EMPLOYER))
    code = certificate.verification_code.replace("-", "").lower()
    response = client.get("/employer/verify", query_string={"code": code})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Valid certificate" in page and certificate.learner_name in page
    assert client.get("/employer/verify", query_string={"code": ""}).status_code == 422
