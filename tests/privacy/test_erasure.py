"""Delete my account: after the password, personal data goes from every table; payments keep their legal
minimum (amount, date, receipt); certificates stay verifiable only if the learner chose so."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import func, select

from mwanzo.extensions import db
from mwanzo.payments.models import Payment, PaymentStatus
from mwanzo.privacy.models import DataRequest, RequestKind
from tests.factories import PASSWORD
from tests.privacy.conftest import EMAIL, NAME, PHONE


def delete(client, keep: str, password: str = PASSWORD):
    return client.post("/account/delete", data={"password": password, "keep_certificates": keep, "confirm": "y"})


def personal_traces() -> list[str]:
    """Every (table.column) whose text still holds the learner's name, email, phone or words."""
    found = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    text = str(value) if value is not None else ""
                    if any(trace in text for trace in (EMAIL, PHONE, "Napenda kujifunza", "Nzuri sana",
                                                       "I would love this job", NAME)):
                        found.append(f"{table.name}.{column}")
    return found


def test_erasure_removes_personal_data_everywhere_but_keeps_the_payment_record(client, login, learner):
    login(learner["user"])
    code = learner["certificate"].verification_code
    assert personal_traces()  # the fixture really holds personal data
    response = delete(client, keep="no")
    assert response.status_code == 303
    assert personal_traces() == []
    payment = db.session.get(Payment, learner["payment"].id)
    assert (payment.amount, payment.status, payment.mpesa_receipt) == (1500, PaymentStatus.SUCCESS, "SGH7ABC123")
    assert payment.created_at is not None
    assert db.session.scalar(select(func.sum(Payment.amount)).where(Payment.status == PaymentStatus.SUCCESS)) == 1500
    request = db.session.scalar(select(DataRequest))
    assert (request.kind, request.keep_certificates) == (RequestKind.ERASURE, False)
    assert client.get("/profile").status_code == 302  # signed out
    assert client.get(f"/certificates/{code}").status_code == 404


def test_a_kept_certificate_still_verifies_with_the_name_on_it(client, login, learner):
    login(learner["user"])
    assert delete(client, keep="yes").status_code == 303
    page = client.get(f"/certificates/{learner['certificate'].verification_code}")
    assert page.status_code == 200 and NAME in page.get_data(as_text=True)
    # Only the certificate keeps the name.
    assert personal_traces() == ["certificates.learner_name"]


def test_a_wrong_password_erases_nothing(client, login, learner):
    login(learner["user"])
    response = delete(client, keep="no", password="wrong")
    assert response.status_code == 422 and "not your password" in response.get_data(as_text=True)
    assert db.session.scalar(select(DataRequest)) is None
    assert client.get("/profile").status_code == 200


def test_a_payment_in_flight_postpones_erasure(client, login, learner, make):
    enrolment = make.enrollment(learner["user"], make.course())
    make.payment(enrolment, "500", PaymentStatus.PENDING)
    login(learner["user"])
    response = delete(client, keep="no")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DataRequest)) == 0


def test_the_admin_log_lists_data_requests(client, login, learner, make):
    from mwanzo.auth.models import Role

    login(learner["user"])
    delete(client, keep="yes")
    login(make.user(role=Role.ADMIN))
    page = client.get("/admin/data-requests").get_data(as_text=True)
    assert "Deletion" in page and "kept verifiable" in page
    login(make.user())
    assert client.get("/admin/data-requests").status_code == 403


def test_a_learner_without_a_password_confirms_deletion_with_a_texted_code(client, login, make):
    import re

    from mwanzo.auth.models import User
    from mwanzo.sms.models import OutboundSms

    user = login(make.user(email=None, is_email_verified=False, phone="254799000111", is_phone_verified=True))
    form = {"keep_certificates": "yes", "confirm": "y"}
    assert client.post("/account/delete", data=form | {"code": "000000"}).status_code == 422
    assert client.post("/account/delete/code").status_code == 303
    sms = db.session.scalar(select(OutboundSms).where(OutboundSms.to_phone == "254799000111"))
    assert "confirm deleting your account" in sms.body
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = client.post("/account/delete", data=form | {"code": wrong})
    assert response.status_code == 422 and "not right" in response.get_data(as_text=True)
    assert client.post("/account/delete", data=form | {"code": code}).status_code == 303
    db.session.expire_all()
    erased = db.session.get(User, user.id)
    assert erased.erased_at is not None and erased.phone is None
