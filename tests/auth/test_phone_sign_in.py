"""Phone-first accounts: a 6-digit code by SMS that lives 10 minutes, allows 5 tries, can be resent after
60 s, and is limited per number and per IP without shutting out others behind the same address."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from mwanzo.auth.models import OneTimeCode, Role, User
from mwanzo.extensions import db
from mwanzo.sms.models import OutboundSms
from tests.factories import PASSWORD

PHONE = "254712345678"


def texts_to(phone: str = PHONE) -> list[OutboundSms]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundSms).where(OutboundSms.to_phone == phone)
                                   .order_by(OutboundSms.created_at)))


def last_code(phone: str = PHONE) -> str:
    return re.search(r"\b(\d{6})\b", texts_to(phone)[-1].body).group(1)


def ask_code(client, phone="0712 345 678", path="/login/phone"):
    return client.post(path, data={"phone": phone})


def enter(client, code):
    return client.post("/login/phone/code", data={"code": code})


def age_codes(seconds: int) -> None:
    """Move every code's clock back, as if it had been sent ``seconds`` earlier."""
    for row in db.session.scalars(select(OneTimeCode)):
        row.created_at -= timedelta(seconds=seconds)
        row.expires_at -= timedelta(seconds=seconds)
    db.session.commit()


def signed_in(client) -> bool:
    return client.get("/profile").status_code == 200


def test_a_learner_signs_up_with_only_a_phone_number(client, app):
    response = ask_code(client)
    assert response.status_code == 303 and response.location == "/login/phone/code"
    [sms] = texts_to()
    assert "sign-in code" in sms.body and sms.parts == 1
    response = enter(client, last_code())
    assert response.status_code == 303 and response.location == "/register/phone"
    assert "+254712345678" in client.get("/register/phone").get_data(as_text=True)
    refused = client.post("/register/phone", data={"name": "Akinyi Odhiambo"})
    assert refused.status_code == 422 and "agree to the privacy notice" in refused.get_data(as_text=True)
    response = client.post("/register/phone", data={"name": "Akinyi Odhiambo", "consent": "y"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.phone == PHONE))
    assert (user.email, user.is_phone_verified, user.role) == (None, True, Role.STUDENT)
    assert user.consent_version == app.config["PRIVACY_VERSION"] and user.consented_at is not None
    assert user.is_contact_verified  # may enrol and pay without an email
    assert signed_in(client)


def test_a_returning_learner_signs_in_with_a_code_in_their_language(client, make):
    make.user(phone=PHONE, is_phone_verified=True, email=None, is_email_verified=False, locale="sw")
    ask_code(client)
    assert "nambari yako ya kuingia" in texts_to()[-1].body
    assert enter(client, last_code()).location == "/dashboard"
    assert signed_in(client)


def test_codes_are_stored_only_as_hashes(client):
    ask_code(client)
    code = last_code()
    row = db.session.scalar(select(OneTimeCode))
    assert code not in row.code_hash and len(row.code_hash) == 64


def test_a_code_stops_working_after_ten_minutes(client):
    ask_code(client)
    code = last_code()
    age_codes(10 * 60 + 1)
    response = enter(client, code)
    assert response.status_code == 422 and "expired" in response.get_data(as_text=True)
    assert not signed_in(client)


def test_five_wrong_tries_end_the_code_even_for_the_right_digits(client):
    ask_code(client)
    code = last_code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        assert f"You have {left} tries left" in enter(client, wrong).get_data(as_text=True)
    assert "Too many wrong tries" in enter(client, wrong).get_data(as_text=True)
    response = enter(client, code)
    assert response.status_code == 422 and "Too many wrong tries" in response.get_data(as_text=True)
    assert not signed_in(client)


def test_the_right_code_after_four_wrong_ones_still_works(client):
    ask_code(client)
    code = last_code()
    for _ in range(4):
        enter(client, "000000" if code != "000000" else "111111")
    assert enter(client, code).status_code == 303


def test_a_new_code_waits_sixty_seconds_and_replaces_the_old_one(client):
    ask_code(client)
    first = last_code()
    page = client.post("/login/phone/resend", follow_redirects=True).get_data(as_text=True)
    assert len(texts_to()) == 1 and "ask for a new one in 60 seconds" in page
    age_codes(61)
    client.post("/login/phone/resend")
    assert len(texts_to()) == 2
    second = last_code()
    if first != second:  # the old code no longer works
        assert enter(client, first).status_code == 422
    assert enter(client, second).status_code == 303


def test_one_number_at_its_limit_does_not_stop_another_number_on_the_same_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "OTP_RESEND_SECONDS", 0)
    monkeypatch.setitem(app.config, "OTP_PHONE_RATE_LIMIT", "3 per hour")
    assert [ask_code(client).status_code for _ in range(4)] == [303, 303, 303, 429]
    assert len(texts_to()) == 3
    assert ask_code(client, "0722 000 111").status_code == 303
    assert len(texts_to("254722000111")) == 1
    # Written another way, the number is still the same number.
    assert ask_code(client, "+254 712 345 678").status_code == 429


def test_one_address_is_limited_across_numbers(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "OTP_IP_RATE_LIMIT", "3 per hour")
    statuses = [ask_code(client, f"07220001{n:02d}").status_code for n in range(4)]
    assert statuses == [303, 303, 303, 429]
    other = app.test_client()
    response = other.post("/login/phone", data={"phone": "0733 000 000"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 303


def test_an_invalid_number_re_renders_with_its_error(client):
    response = ask_code(client, "12345")
    assert response.status_code == 422 and "0712 345 678" in response.get_data(as_text=True)
    assert texts_to("12345") == []


def test_the_phone_form_needs_its_csrf_token(client, csrf_enabled):
    assert ask_code(client).status_code == 400
    assert texts_to() == []


def test_password_stays_a_second_way_in_by_phone_number(client, make):
    make.user(phone=PHONE, is_phone_verified=True)
    response = client.post("/login", data={"email": "0712 345 678", "password": PASSWORD})
    assert response.status_code == 302 and signed_in(client)


def test_an_unconfirmed_phone_is_not_a_way_in(client, make):
    make.user(phone=PHONE, is_phone_verified=False)
    assert client.post("/login", data={"email": "0712 345 678", "password": PASSWORD}).status_code == 422


def test_account_recovery_by_sms_sets_a_new_password(client, make):
    user = make.user(phone=PHONE, is_phone_verified=True, email=None, is_email_verified=False)
    response = ask_code(client, path="/forgot-password/phone")
    assert response.location == "/login/phone/code"
    assert "recover your account" in texts_to()[-1].body
    response = enter(client, last_code())
    assert response.status_code == 302 and "/reset-password/" in response.location
    client.post(response.location, data={"password": "Nairobi#2027", "confirm": "Nairobi#2027"})
    client.post("/logout")
    assert client.post("/login", data={"email": "+254712345678", "password": "Nairobi#2027"}).status_code == 302
    db.session.refresh(user)
    assert user.check_password("Nairobi#2027")


def test_recovery_for_a_number_without_an_account_looks_the_same_and_texts_nobody(client):
    response = ask_code(client, path="/forgot-password/phone")
    assert response.location == "/login/phone/code"
    assert texts_to() == []


def test_a_phone_added_on_the_profile_is_confirmed_by_code(client, make, login):
    user = login(make.user())
    response = client.post("/profile", data={"name": user.name, "phone": "0712345678", "locale": "en"})
    assert response.location == "/login/phone/code"
    assert "confirm this phone" in texts_to()[-1].body
    assert enter(client, last_code()).location == "/profile"
    db.session.refresh(user)
    assert user.is_phone_verified


def test_saving_the_profile_again_texts_no_new_code_until_the_learner_asks(client, make, login):
    user = login(make.user())
    profile = {"name": user.name, "phone": "0712345678", "locale": "en"}
    assert client.post("/profile", data=profile).location == "/login/phone/code"
    age_codes(120)  # past the 60 s resend wait: only the rule above stops a second text
    saved = client.post("/profile", data={**profile, "name": "Akinyi Odhiambo"})
    assert saved.location == "/profile"
    assert len(texts_to()) == 1
    db.session.refresh(user)
    assert user.name == "Akinyi Odhiambo" and not user.is_phone_verified
    assert client.post("/profile/phone/confirm").location == "/login/phone/code"  # the learner asks
    assert len(texts_to()) == 2
    assert client.post("/profile/phone/confirm").location == "/login/phone/code"
    assert len(texts_to()) == 2  # within 60 s: not sent, the page says when
    assert enter(client, last_code()).location == "/profile"
    db.session.refresh(user)
    assert user.is_phone_verified


def test_a_changed_unconfirmed_phone_gets_its_own_code(client, make, login):
    user = login(make.user(phone=PHONE))
    assert client.post("/profile", data={"name": user.name, "phone": "0722000111", "locale": "en"}).location \
        == "/login/phone/code"
    assert len(texts_to("254722000111")) == 1


def test_a_phone_confirmed_on_another_account_cannot_be_confirmed_again(client, make, login):
    make.user(phone=PHONE, is_phone_verified=True)
    user = login(make.user())
    client.post("/profile", data={"name": user.name, "phone": "0712345678", "locale": "en"})
    response = enter(client, last_code())
    assert response.location == "/profile"
    db.session.refresh(user)
    assert not user.is_phone_verified
    assert db.session.scalar(select(func.count()).select_from(User).where(User.is_phone_verified.is_(True))) == 1


def test_changing_the_email_needs_its_link_followed_and_only_learners_may_have_none(client, make, login):
    from tests.emails import emails_to

    learner = login(make.user())
    assert client.post("/profile/email", data={"em-email": "new@example.com"}).status_code == 302
    db.session.refresh(learner)
    assert (learner.email, learner.is_email_verified) == ("new@example.com", False)
    assert emails_to("new@example.com", "verify_email")
    assert client.post("/profile/email", data={"em-email": ""}).status_code == 302
    db.session.refresh(learner)
    assert learner.email is None


def test_an_instructor_keeps_an_email(client, make, login):
    instructor = login(make.user(role=Role.INSTRUCTOR))
    response = client.post("/profile/email", data={"em-email": ""})
    assert response.status_code == 422 and "need an email address" in response.get_data(as_text=True)
    db.session.refresh(instructor)
    assert instructor.email


def test_a_taken_email_is_refused(client, make, login):
    make.user(email="taken@example.com")
    login(make.user())
    response = client.post("/profile/email", data={"em-email": "taken@example.com"})
    assert response.status_code == 422 and "Another account uses that address" in response.get_data(as_text=True)


def test_a_learner_with_only_a_confirmed_phone_may_pay_for_a_course(client, make, login):
    from decimal import Decimal

    from mwanzo.courses.models import CourseStatus

    course = make.course(price=Decimal("1500"), status=CourseStatus.PUBLISHED)
    login(make.user(email=None, is_email_verified=False, phone=PHONE, is_phone_verified=True))
    page = client.get(f"/courses/{course.slug}/checkout")
    assert page.status_code == 200 and "Please verify your email" not in page.get_data(as_text=True)


def test_an_instructor_with_only_a_confirmed_phone_still_needs_a_verified_email(client, make, login):
    login(make.user(role=Role.INSTRUCTOR, is_email_verified=False, phone=PHONE, is_phone_verified=True))
    response = client.get("/studio/")
    assert response.status_code == 302 and "/verify-email" in response.location
