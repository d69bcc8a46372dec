"""Certificates: the PDF and its QR code, public verification, revocation, rate limits, issue once."""
import re
import subprocess

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.certificates import services
from mwanzo.certificates.models import Certificate
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import EnrollmentStatus, VideoProgress
from tests.concurrency import run_together
from tests.emails import emails_to
from tests.queries import count_queries
from tests.confirmations import confirmation_token


def completed_certificate(make, email="wanjiru@example.com", name="Wanjiru Kamau", title="Digital Marketing"):
    """A learner who finished every lesson of a course: the real completion path issues the certificate."""
    instructor = make.user(role=Role.INSTRUCTOR, name="Dr. Ochieng")
    student = make.user(email=email, name=name)
    course = make.course(title=title, instructor_id=instructor.id, duration_minutes=150)
    lesson = make.lesson(make.section(course))
    enrollment = learning.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lesson.id, completed=True))
    learning.refresh_progress(enrollment)
    db.session.commit()
    return student, db.session.scalar(select(Certificate).where(Certificate.student_id == student.id))


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_pdf_is_a4_landscape_with_the_code_and_a_qr_code_to_the_verification_page(client, make, tmp_path):
    _, certificate = completed_certificate(make)
    response = client.get(f"/certificates/{certificate.verification_code}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert certificate.verification_code in response.headers["Content-Disposition"]
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(response.data)

    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages: +1\n", info) and "841.89 x 595.28 pts (A4)" in info

    text = pdf_text(pdf)
    for expected in (certificate.verification_code, "Wanjiru Kamau", "Digital Marketing", "Dr. Ochieng", "2.5"):
        assert expected in text

    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(tmp_path / "page")], check=True)
    [barcode] = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert barcode.text == f"http://localhost/certificates/{certificate.verification_code}"
    assert client.get(barcode.text.removeprefix("http://localhost")).status_code == 200


def test_pdf_is_cached_in_storage_and_served_again(client, make):
    _, certificate = completed_certificate(make)
    url = f"/certificates/{certificate.verification_code}/pdf"
    first = client.get(url).data
    from mwanzo.storage import get_storage

    assert get_storage().exists(services.pdf_key(certificate))
    assert client.get(url).data == first


def test_valid_certificate_page_shows_what_the_certificate_states_and_nothing_more(client, make):
    student, certificate = completed_certificate(make)
    page = client.get(f"/certificates/{certificate.verification_code}")
    assert page.status_code == 200 and "Valid certificate" in page.text
    for expected in ("Wanjiru Kamau", "Digital Marketing", "Dr. Ochieng", certificate.completed_on.strftime("%Y")):
        assert expected in page.text
    assert student.email not in page.text and "Download PDF" in page.text
    assert f"http://localhost/certificates/{certificate.verification_code}" in page.text  # link to share


def test_verify_form_accepts_a_code_typed_loosely(client, make):
    _, certificate = completed_certificate(make)
    assert client.get("/verify").status_code == 200
    typed = certificate.verification_code.lower().replace("-", " ").removeprefix("mwz ")
    page = client.get("/verify", query_string={"code": typed})
    assert page.status_code == 200 and "Valid certificate" in page.text and "Wanjiru Kamau" in page.text


def test_unknown_codes_are_not_found(client):
    page = client.get("/verify", query_string={"code": "MWZ-2222-3333"})
    assert page.status_code == 404 and "Certificate not found" in page.text
    assert client.get("/certificates/MWZ-2222-3333").status_code == 404
    assert client.get("/certificates/MWZ-2222-3333/pdf").status_code == 404
    empty = client.get("/verify", query_string={"code": ""})
    assert empty.status_code == 422


def test_admin_revokes_with_a_reason_and_verification_then_says_revoked(client, make, login):
    student, certificate = completed_certificate(make)
    code = certificate.verification_code
    admin = login(make.user(role=Role.ADMIN))
    assert "Revoke this certificate" in client.get(f"/certificates/{code}").text
    token = confirmation_token(client, f"/certificates/{code}/revoke")
    assert client.post(f"/certificates/{code}/revoke", data={"reason": "", "confirm_token": token}).status_code == 422
    response = client.post(f"/certificates/{code}/revoke",
                           data={"reason": "Exam taken by someone else", "confirm_token": token})
    assert response.status_code == 302

    db.session.expire_all()
    certificate = db.session.get(Certificate, certificate.id)
    assert certificate.revoked_at is not None and certificate.revoked_by_id == admin.id
    assert certificate.revoke_reason == "Exam taken by someone else"
    audit = db.session.scalar(select(AuditLog))
    assert (audit.actor_id, audit.action, audit.target_id) == (admin.id, "certificate.revoke", str(certificate.id))

    for page in (client.get(f"/certificates/{code}"), client.get("/verify", query_string={"code": code})):
        assert "Certificate revoked" in page.text and "Revoked" in page.text
        assert "Wanjiru Kamau" not in page.text and "someone else" not in page.text
    assert client.get(f"/certificates/{code}/pdf").status_code == 410
    again = client.post(f"/certificates/{code}/revoke", data={"reason": "Twice over", "confirm_token": token})
    assert again.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 1


def test_only_admins_revoke(client, make, login):
    student, certificate = completed_certificate(make)
    url = f"/certificates/{certificate.verification_code}/revoke"
    assert client.post(url, data={"reason": "No reason at all"}).status_code == 302  # to login
    login(student)
    assert client.post(url, data={"reason": "No reason at all"}).status_code == 403
    login(make.user(role=Role.INSTRUCTOR))
    assert client.post(url, data={"reason": "No reason at all"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_revoke_form_needs_the_csrf_token(client, make, login, csrf_enabled):
    _, certificate = completed_certificate(make)
    login(make.user(role=Role.ADMIN))
    url = f"/certificates/{certificate.verification_code}/revoke"
    token = confirmation_token(client, url)
    assert 'name="csrf_token"' in client.get(url).text
    assert client.post(url, data={"reason": "Exam taken by someone else", "confirm_token": token}).status_code == 400
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_lookups_are_rate_limited_per_ip_across_every_route(app, client, make, settings):
    _, certificate = completed_certificate(make)
    settings(VERIFY_RATE_LIMIT="4 per minute")
    assert client.get("/verify").status_code == 200  # the empty form is free
    assert client.get("/verify", query_string={"code": "MWZ-2222-3333"}).status_code == 404
    assert client.get("/verify", query_string={"code": "MWZ-2222-4444"}).status_code == 404
    assert client.get("/certificates/MWZ-2222-5555").status_code == 404
    assert client.get(f"/certificates/{certificate.verification_code}").status_code == 200
    blocked = client.get("/verify", query_string={"code": certificate.verification_code})
    assert blocked.status_code == 429
    assert client.get(f"/certificates/{certificate.verification_code}/pdf").status_code == 429
    other_ip = client.get("/verify", query_string={"code": certificate.verification_code},
                          environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other_ip.status_code == 200


def test_learner_sees_only_their_own_certificates(client, make, login):
    student, mine = completed_certificate(make)
    _, theirs = completed_certificate(make, email="other@example.com", name="Other Person", title="Welding")
    login(student)
    page = client.get("/certificates")
    assert page.status_code == 200 and mine.verification_code in page.text
    assert theirs.verification_code not in page.text and "Welding" not in page.text
    assert "/certificates" in client.get("/").text  # the header links to the list


def test_the_list_needs_a_login(client):
    assert client.get("/certificates").status_code == 302


def test_completion_email_links_to_the_certificate_page(client, make):
    _, certificate = completed_certificate(make)
    [email] = emails_to("wanjiru@example.com", "course_completed")
    assert f"http://localhost/certificates/{certificate.verification_code}" in email.body_text


@pytest.mark.postgres
def test_certificate_is_issued_once_when_completion_races(postgres, app, make):
    """Two requests complete the same enrolment at the same moment (two devices, a retried request):
    one certificate, one email."""
    student = make.user(email="race@example.com")
    course = make.course()
    lesson = make.lesson(make.section(course))
    enrollment = learning.enroll_free(student, course)
    db.session.add(VideoProgress(student_id=student.id, lesson_id=lesson.id, completed=True))
    db.session.commit()
    enrollment_id = enrollment.id

    def complete(barrier):
        from mwanzo.learning.models import Enrollment

        mine = db.session.get(Enrollment, enrollment_id)
        barrier.wait()
        learning.refresh_progress(mine)
        db.session.commit()

    assert run_together(app, complete, 4) == []
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Certificate)) == 1
    assert learning.get_enrollment(student.id, course.id).status == EnrollmentStatus.COMPLETED
    assert len(emails_to("race@example.com", "course_completed")) == 1


def test_issue_certificate_twice_returns_the_same_certificate_and_codes_look_right(make):
    _, certificate = completed_certificate(make)
    enrollment = learning.get_enrollment(certificate.student_id, certificate.course_id)
    assert services.issue_certificate(enrollment.id, enrollment.student_id, enrollment.course_id, enrollment.completed_at).id == certificate.id
    assert re.fullmatch(r"MWZ-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", certificate.verification_code)


def test_certificate_list_runs_one_query_for_any_number(client, make, login):
    student, _ = completed_certificate(make)
    login(student)
    with count_queries() as one:
        client.get("/certificates")
    for n in range(3):
        course = make.course(title=f"Extra course {n}")
        enrollment = learning.enroll_free(student, course)
        services.issue_certificate(enrollment.id, enrollment.student_id, enrollment.course_id, enrollment.completed_at)
    db.session.commit()
    with count_queries() as many:
        page = client.get("/certificates")
    assert "Extra course 2" in page.text and len(many) == len(one)
