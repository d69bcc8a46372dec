from __future__ import annotations

from decimal import Decimal

import pytest

from mwanzo.auth.models import Role
from mwanzo.payments.models import PaymentStatus

NAME, EMAIL, PHONE = "Wanjiru Kamau", "wanjiru.kamau@example.com", "254711222333"


@pytest.fixture
def learner(make):
    """A learner with a verified phone, a paid course with its M-Pesa receipt, a certificate, a review, a job
    application and a text message: personal data in every domain."""
    from mwanzo.careers.models import JobApplication
    from mwanzo.extensions import db
    from mwanzo.payments.models import PaymentEvent
    from mwanzo.sms.services import send_sms

    user = make.user(name=NAME, email=EMAIL, phone=PHONE, is_phone_verified=True, bio="Napenda kujifunza")
    course = make.course(title="Excel for business", price=Decimal("1500"))
    enrolment = make.enrollment(user, course)
    payment = make.payment(enrolment, "1500", PaymentStatus.SUCCESS, mpesa_receipt="SGH7ABC123",
                           phone_number=PHONE)
    db.session.add(PaymentEvent(payment_id=payment.id, kind="callback",
                                payload={"response": {"Phone": PHONE, "MpesaReceiptNumber": "SGH7ABC123"}}))
    certificate = make.certificate(user)
    make.review(course, rating=4, text="Nzuri sana, asante", student=user)
    job = make.job(make.user(role=Role.EMPLOYER))
    db.session.add(JobApplication(job_id=job.id, applicant_id=user.id, note="I would love this job"))
    send_sms(PHONE, "one_time_code", locale="en", code="123456", minutes=10, purpose="sign-in")
    db.session.commit()
    return {"user": user, "course": course, "payment": payment, "certificate": certificate}
