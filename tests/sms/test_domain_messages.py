"""Payment receipts and course approvals go by SMS too, where the person has a confirmed phone."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.extensions import db
from mwanzo.payments import services as payments
from mwanzo.payments.models import PaymentStatus
from mwanzo.sms import gsm
from mwanzo.sms.models import OutboundSms
from tests.confirmations import confirmation_token
from tests.studio.test_review_workflow import ready_course

PHONE = "254712345678"


def texts(template: str) -> list[OutboundSms]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundSms).where(OutboundSms.template == template)))


def test_a_payment_receipt_is_texted_once_in_the_learners_language(make):
    learner = make.user(phone=PHONE, is_phone_verified=True, locale="sw")
    course = make.course(title="Ufugaji wa kuku wa kienyeji", price=Decimal("1500"))
    payment = make.payment(make.enrollment(learner, course), "1500", PaymentStatus.SUCCESS, mpesa_receipt="SGH7ABC123")
    for _ in range(2):  # settlement may reach the receipt twice (a callback and a status query)
        payments.send_receipt(payment)
        db.session.commit()
    [sms] = texts("payment_receipt")
    assert sms.to_phone == PHONE
    assert "umelipa KES 1,500" in sms.body and "SGH7ABC123" in sms.body and "Ufugaji wa kuku" in sms.body
    assert gsm.measure(sms.body).parts == 1


def test_no_text_without_a_confirmed_phone(make):
    learner = make.user(phone=PHONE, is_phone_verified=False)
    payment = make.payment(make.enrollment(learner, make.course()), "500", PaymentStatus.SUCCESS, mpesa_receipt="R1")
    payments.send_receipt(payment)
    db.session.commit()
    assert texts("payment_receipt") == []


def test_an_instructor_with_a_confirmed_phone_is_texted_when_the_course_is_approved(client, make, login):
    owner = login(make.instructor(phone=PHONE, is_phone_verified=True))
    course = ready_course(make, owner, title="Tailoring basics")
    client.post(f"/studio/courses/{course.id}/submit")
    login(make.user(role=Role.ADMIN))
    token = confirmation_token(client, f"/admin/reviews/{course.id}/approve")
    assert client.post(f"/admin/reviews/{course.id}/approve", data={"confirm_token": token}).status_code == 302
    [sms] = texts("course_approved")
    assert sms.to_phone == PHONE and "Tailoring basics" in sms.body and "approved" in sms.body
