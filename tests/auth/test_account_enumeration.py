"""Nobody learns from the recovery, code and login pages whether a number or an address has an account:
the same words and the same status whichever it is, while the real owner is still told what to do."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import OneTimeCode
from mwanzo.extensions import db
from tests.auth.test_phone_sign_in import age_codes, ask_code, enter, texts_to
from tests.emails import emails_to, link_in

KNOWN, UNKNOWN = "254712345678", "254733000111"


def answer(response, typed: str = "") -> tuple[int, str]:
    """Status and page, without what the person typed (the number, the address) and per-session tokens."""
    page = response.get_data(as_text=True).replace(typed or "\0", "TYPED")
    page = re.sub(r"\+?254\d{9}|07\d{2} ?\d{3} ?\d{3}|07\d{8}", "NUMBER", page)
    page = re.sub(r'value="[^"]{20,}"|"X-CSRFToken": "[^"]*"|nonce="[^"]*"', "", page)
    return response.status_code, page


@pytest.fixture
def owner(make):
    return make.user(phone=KNOWN, is_phone_verified=True)


def recover(app, phone: str):
    client = app.test_client()
    first = ask_code(client, phone=phone, path="/forgot-password/phone")
    return client, first


@pytest.mark.parametrize("step", ["wrong code", "five wrong codes", "expired code", "resend too soon", "resend"])
def test_the_code_page_answers_alike_for_a_number_with_and_without_an_account(app, owner, step):
    answers = []
    for phone in (KNOWN, UNKNOWN):
        client, first = recover(app, phone)
        assert first.status_code == 303 and first.location == "/login/phone/code"
        if step == "wrong code":
            response = enter(client, "000000")
        elif step == "five wrong codes":
            for _ in range(5):
                response = enter(client, "000000")
        elif step == "expired code":
            age_codes(3600)
            response = enter(client, "000000")
        elif step == "resend too soon":
            response = client.post("/login/phone/resend", follow_redirects=True)
        else:
            age_codes(120)
            response = client.post("/login/phone/resend", follow_redirects=True)
        answers.append(answer(response))
    assert answers[0] == answers[1]
    assert "code" in answers[0][1]  # and it tells the person what to do with it


def test_the_wrong_code_answer_tells_the_owner_how_many_tries_are_left(app, owner):
    client, _ = recover(app, UNKNOWN)
    assert "You have 4 tries left" in enter(client, "000000").get_data(as_text=True)
    client, _ = recover(app, KNOWN)
    assert "You have 4 tries left" in enter(client, "000000").get_data(as_text=True)


def test_only_the_account_holder_is_texted_and_both_numbers_do_the_same_work(app, owner):
    for phone in (KNOWN, UNKNOWN):
        recover(app, phone)
    assert len(texts_to(KNOWN)) == 1 and texts_to(UNKNOWN) == []
    # a code recorded for both (so tries, expiry and resend waits behave alike), texted to one
    counts = dict(db.session.execute(select(OneTimeCode.phone, func.count()).group_by(OneTimeCode.phone)).all())
    assert counts == {KNOWN: 1, UNKNOWN: 1}


def test_logging_in_before_verifying_answers_like_a_wrong_password(client, make):
    """Signing up with an address and then logging in with the password just chosen must not tell whether
    the address already had an account (it would be a wrong password there)."""
    make.user(email="taken@example.com")
    answers = []
    for email in ("taken@example.com", "fresh@example.com"):
        signed_up = client.post("/register", data={"name": "Guess", "email": email, "password": "Guess#2026x",
                                                   "confirm": "Guess#2026x", "role": "STUDENT", "consent": "y"})
        assert signed_up.status_code == 302
        response = client.post("/login", data={"email": email, "password": "Guess#2026x"})
        answers.append(answer(response, typed=email))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and "If you have just signed up, first open the link we emailed you" in answers[0][1]

    # The real owner of the new account follows the link, and then the same password lets them in.
    client.get(link_in(emails_to("fresh@example.com", "welcome")[0], "/verify-email/"))
    assert client.post("/login", data={"email": "fresh@example.com", "password": "Guess#2026x"}).status_code == 302
