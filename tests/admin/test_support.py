"""What support does every day: read a user's whole record, fix their account, give or take a course,
take a course down, send a failed email again, read stray callbacks and find anything from one box.
Every change is audited, made only from its confirmation page, and only by admins."""
import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Course, CourseStatus
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.notifications.models import EmailStatus, OutboundEmail
from mwanzo.payments.models import PaymentEvent, PaymentStatus
from tests.confirmations import post_confirmed
from tests.emails import emails_to, link_in
from tests.queries import count_queries
from tests.servers import free_port


@pytest.fixture
def admin(make, login):
    return login(make.user(role=Role.ADMIN, name="Amina Admin"))


def audit(action) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def enrollment_of(user, course) -> Enrollment | None:
    db.session.expire_all()
    return db.session.scalar(select(Enrollment).where(Enrollment.student_id == user.id,
                                                      Enrollment.course_id == course.id))


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_user_page_shows_enrolments_payments_certificates_applications_and_audit(client, make, admin):
    learner = make.user(name="Brian Kiptoo")
    course = make.course(title="Bookkeeping basics", price=500)
    paid = make.enrollment(learner, course)
    make.payment(paid, 500, PaymentStatus.SUCCESS, mpesa_receipt="SKQ96C7K7H")
    certificate = make.certificate(learner)
    application_job = make.job(make.user(role=Role.EMPLOYER), title="Junior accountant")
    from mwanzo.careers.models import JobApplication
    db.session.add(JobApplication(job_id=application_job.id, applicant_id=learner.id))
    db.session.commit()
    page = text(client.get(f"/admin/users/{learner.id}"))
    assert 'data-enrollment="%s"' % course.slug in page and "Bookkeeping basics" in page
    assert "SKQ96C7K7H" in page and "KES 500" in page
    assert f'data-certificate="{certificate.verification_code}"' in page
    assert "Junior accountant" in page


def test_the_user_page_query_count_is_fixed(client, make, admin):
    learner = make.user()
    with count_queries() as one:
        assert client.get(f"/admin/users/{learner.id}").status_code == 200
    for _ in range(4):
        course = make.course()
        make.payment(make.enrollment(learner, course), 300, PaymentStatus.SUCCESS)
        make.certificate(learner)
    with count_queries() as many:
        assert client.get(f"/admin/users/{learner.id}").status_code == 200
    assert len(many) == len(one)


def test_editing_the_email_sends_a_new_link_and_the_account_is_unverified_until_opened(client, make, admin):
    learner = make.user(name="Brain Kiptoo", email="old@example.com", is_email_verified=True)
    response = post_confirmed(client, f"/admin/users/{learner.id}/edit", name="Brian Kiptoo",
                              email="New@Example.com")
    assert response.status_code == 303
    db.session.expire_all()
    learner = db.session.get(User, learner.id)
    assert (learner.name, learner.email, learner.is_email_verified) == ("Brian Kiptoo", "new@example.com", False)
    [edited] = audit("user.edited")
    assert edited.details["old_email"] == "old@example.com" and edited.details["email"] == "new@example.com"
    [email] = emails_to("new@example.com", "verify_email")
    assert client.get(link_in(email, "/verify-email")).status_code in (200, 302, 303)
    db.session.expire_all()
    assert db.session.get(User, learner.id).is_email_verified


def test_an_address_another_account_uses_is_refused(client, make, admin):
    make.user(email="taken@example.com")
    learner = make.user(email="mine@example.com")
    response = post_confirmed(client, f"/admin/users/{learner.id}/edit", name=learner.name, email="taken@example.com")
    assert response.status_code == 409 and "already uses this email" in text(response)
    db.session.expire_all()
    assert db.session.get(User, learner.id).email == "mine@example.com" and not audit("user.edited")


def test_mark_verified_and_resend_the_link(client, make, admin):
    learner = make.user(email="late@example.com", is_email_verified=False)
    assert client.post(f"/admin/users/{learner.id}/verification-email").status_code == 303
    assert len(emails_to("late@example.com", "verify_email")) == 1 and len(audit("user.verification_sent")) == 1
    assert post_confirmed(client, f"/admin/users/{learner.id}/verified").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, learner.id).is_email_verified and len(audit("user.email_verified")) == 1
    client.post(f"/admin/users/{learner.id}/verification-email")
    assert len(emails_to("late@example.com", "verify_email")) == 1  # verified now: nothing more is sent


def test_grant_and_revoke_a_course_with_a_reason(client, make, admin):
    learner = make.user(email="brian@example.com")
    course = make.course(price=800, title="Excel for shops")
    response = post_confirmed(client, f"/admin/users/{learner.id}/enrolments/grant", course=course.slug,
                              reason="Paid cash at the Kisumu centre")
    assert response.status_code == 303
    enrollment = enrollment_of(learner, course)
    assert enrollment.status == EnrollmentStatus.ACTIVE and db.session.get(Course, course.id).enrollment_count == 1
    [granted] = audit("enrollment.granted")
    assert granted.details["reason"] == "Paid cash at the Kisumu centre" and granted.target_id == str(learner.id)
    assert "Paid cash at the Kisumu centre" in text(client.get(f"/admin/users/{learner.id}"))

    response = post_confirmed(client, f"/admin/users/{learner.id}/enrolments/{enrollment.id}/revoke",
                              reason="Granted to the wrong account")
    assert response.status_code == 303
    assert enrollment_of(learner, course).status == EnrollmentStatus.REVOKED
    assert len(audit("enrollment.revoked")) == 1 and db.session.get(Course, course.id).enrollment_count == 0
    # Granting again restores access after a revocation.
    post_confirmed(client, f"/admin/users/{learner.id}/enrolments/grant", course=course.slug, reason="Sorted out")
    assert enrollment_of(learner, course).status == EnrollmentStatus.ACTIVE


def test_a_grant_needs_a_reason_and_an_existing_course(client, make, admin):
    learner = make.user()
    course = make.course()
    response = post_confirmed(client, f"/admin/users/{learner.id}/enrolments/grant", course=course.slug, reason="")
    assert response.status_code == 422 and enrollment_of(learner, course) is None
    assert client.get(f"/admin/users/{learner.id}/enrolments/grant", query_string={"course": "nope"}).status_code == 404


def signed_in(app, user):
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = user.get_id()
    return other


def test_taking_a_course_down_emails_the_instructor_and_paid_learners_keep_access(app, client, make, admin):
    instructor = make.user(role=Role.INSTRUCTOR, email="wanjiru@example.com")
    course = make.course(instructor_id=instructor.id, title="Solar installation", price=1000)
    lesson = make.lesson(make.section(course))
    learner = make.user()
    make.enrollment(learner, course)
    response = post_confirmed(client, f"/admin/courses/{course.id}/take-down",
                              reason="The wiring diagrams are unsafe")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.REJECTED
    [email] = emails_to("wanjiru@example.com", "course_taken_down")
    assert "The wiring diagrams are unsafe" in email.body_text
    assert audit("course.taken_down")[0].details["reason"] == "The wiring diagrams are unsafe"
    assert signed_in(app, learner).get(f"/learn/{course.slug}/lessons/{lesson.id}").status_code == 200
    newcomer = signed_in(app, make.user())
    assert newcomer.get(f"/courses/{course.slug}").status_code == 404  # gone from the catalog
    assert newcomer.get(f"/learn/{course.slug}/lessons/{lesson.id}").status_code == 404
    assert post_confirmed(client, f"/admin/courses/{course.id}/take-down", reason="Again, again").status_code == 409


def test_a_failed_email_is_sent_again_once(app, client, make, admin, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", False)
    monkeypatch.setitem(app.config, "EMAIL_MAX_ATTEMPTS", 1)
    from mwanzo.auth.services import send_verification
    learner = make.user(email="faith@example.com", is_email_verified=False)
    send_verification(learner)
    db.session.commit()
    [email] = emails_to("faith@example.com")
    assert email.status == EmailStatus.FAILED
    page = text(client.get("/admin/emails"))
    assert f'data-email="{email.id}"' in page and "ConnectionRefusedError" in page
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "console")
    assert client.post(f"/admin/emails/{email.id}/send-again").status_code == 303
    assert client.post(f"/admin/emails/{email.id}/send-again").status_code == 303  # a double click
    db.session.expire_all()
    email = db.session.get(OutboundEmail, email.id)
    assert email.status == EmailStatus.SENT and email.attempts == 1
    assert len(audit("email.sent_again")) == 1
    assert f'data-email="{email.id}"' not in text(client.get("/admin/emails"))


def test_stray_callbacks_are_listed_with_their_raw_body(client, make, admin):
    from mwanzo.payments.services import UNREADABLE, record_event
    stray = record_event(None, "callback", payload={"response": {"ExternalReference": "<b>nobody</b>",
                                                                  "ResultCode": 0}}, note="no payment")
    unreadable = record_event(None, UNREADABLE, payload={"garbage": True}, note="no result code")
    db.session.commit()
    page = text(client.get("/admin/payments/callbacks"))
    assert f'data-callback="{stray.id}"' in page and f'data-callback="{unreadable.id}"' in page
    assert "<b>nobody</b>" not in page and "nobody" in page  # the raw body is shown as text
    assert "Could not be read" in page and "Matched no payment" in page
    assert db.session.scalar(select(PaymentEvent.id).where(PaymentEvent.id == stray.id))


def test_one_search_box_finds_users_payments_and_certificates(client, make, admin):
    learner = make.user(email="otieno.j@example.com", phone="254712000111")
    course = make.course()
    payment = make.payment(make.enrollment(learner, course), 400, PaymentStatus.SUCCESS, mpesa_receipt="SKA1B2C3D4")
    certificate = make.certificate(learner)

    def found(q):
        return text(client.get("/admin/search", query_string={"q": q}))

    assert 'data-user="otieno.j@example.com"' in found("OTIENO.J")
    assert 'data-user="otieno.j@example.com"' in found("0712 000 111")
    assert f'data-payment="{payment.id}"' in found("ska1b2c3d4")
    assert f'data-payment="{payment.id}"' in found(payment.external_reference)
    assert f'data-certificate="{certificate.verification_code}"' in found(certificate.verification_code.lower())
    assert "Nothing matches" in found("zzzz-nothing")


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER])
def test_only_admins_reach_support(client, make, login, role):
    target = make.user()
    course = make.course()
    login(make.user(role=role))
    for url in ["/admin/search?q=abc", "/admin/emails", "/admin/payments/callbacks", f"/admin/users/{target.id}/edit",
                f"/admin/courses/{course.id}/take-down"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/users/{target.id}/enrolments/grant", data={"course": course.slug,
                                                                          "reason": "sneaky grant"}).status_code == 403
    assert enrollment_of(target, course) is None and not audit("enrollment.granted")


def test_access_changes_without_the_confirmation_token_are_refused(client, make, admin):
    learner = make.user()
    course = make.course()
    enrollment = make.enrollment(learner, course)
    for url, data in [(f"/admin/users/{learner.id}/enrolments/grant", {"course": make.course().slug, "reason": "x" * 9}),
                      (f"/admin/users/{learner.id}/enrolments/{enrollment.id}/revoke", {"reason": "x" * 9}),
                      (f"/admin/courses/{course.id}/take-down", {"reason": "x" * 9}),
                      (f"/admin/users/{learner.id}/edit", {"name": "X", "email": "x@example.com"}),
                      (f"/admin/users/{learner.id}/verified", {})]:
        response = client.post(url, data=data)
        assert response.status_code == 400 and "needs confirming" in text(response), url
    assert enrollment_of(learner, course).status == EnrollmentStatus.ACTIVE
    assert db.session.scalar(select(AuditLog)) is None


def test_support_pages_stay_within_the_page_budget(client, make, admin):
    import gzip

    from mwanzo.payments.services import record_event
    learner = make.user()
    for _ in range(30):
        course = make.course()
        make.payment(make.enrollment(learner, course), 500, PaymentStatus.SUCCESS)
    for n in range(25):
        record_event(None, "callback", note="no payment with this reference", payload={
            "status": True, "response": {"Amount": 500, "CheckoutRequestID": f"ws_CO_0112202612{n:04d}",
                                         "ExternalReference": f"MWZ-{n:012d}", "MerchantRequestID": f"{n:08d}-1",
                                         "MpesaReceiptNumber": f"SKQ96C{n:04d}", "Phone": "254712345678",
                                         "ResultCode": 0, "ResultDesc": "The service request is processed successfully.",
                                         "Status": "Success"}})
    db.session.commit()
    for url in [f"/admin/users/{learner.id}", "/admin/payments/callbacks", "/admin/search?q=example.com"]:
        response = client.get(url)
        assert response.status_code == 200
        assert len(gzip.compress(response.get_data(), 9)) <= 14 * 1024, url


def test_money_lists_query_counts_are_fixed(client, make, admin):
    """Refund requests, payouts, failed emails and coupons: the same queries for one row or many."""
    from decimal import Decimal

    from mwanzo.payments.models import Coupon, CouponKind, Payout, RefundRequest

    def add_rows(n):
        for i in range(n):
            learner, instructor = make.user(), make.user(role=Role.INSTRUCTOR)
            course = make.course(instructor_id=instructor.id)
            payment = make.payment(make.enrollment(learner, course), 500, PaymentStatus.SUCCESS)
            db.session.add_all([
                RefundRequest(payment_id=payment.id, student_id=learner.id, reason="Not for me", watched_percent=0),
                Payout(instructor_id=instructor.id, amount=Decimal("100"), phone_number="254712345678",
                       external_reference=f"MWZP-{payment.id.hex[:8]}"),
                Coupon(code=f"C{payment.id.hex[:8]}", kind=CouponKind.PERCENT, value=Decimal("10"),
                       course_id=course.id, created_by_id=admin.id),
                OutboundEmail(to_address=learner.email, template="welcome", subject="Hi", body_text="-",
                              body_html="-", status=EmailStatus.FAILED, last_error="SMTP down")])
        db.session.commit()

    urls = ["/admin/refunds", "/admin/payouts", "/admin/emails", "/admin/coupons"]
    add_rows(1)
    few = {}
    for url in urls:
        with count_queries() as queries:
            assert client.get(url).status_code == 200
        few[url] = len(queries)
    add_rows(6)
    for url in urls:
        with count_queries() as queries:
            client.get(url)
        assert len(queries) == few[url], url
