import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from tests.emails import emails_to, link_in, tampered
from tests.pages import page_shape

VALID = {"name": "Achieng Otieno", "email": "achieng@example.com", "phone": "0712 345 678",
         "password": "Kenya#2026", "confirm": "Kenya#2026", "role": "STUDENT", "consent": "y"}


def post_register(client, **changes):
    return client.post("/register", data={**VALID, **changes})


def test_register_creates_student_and_sends_welcome_email_with_both_parts(client):
    response = post_register(client)
    assert response.status_code == 302 and response.location == "/register/check-email"
    assert client.get("/profile").status_code == 302  # signed in only once they log in
    user = db.session.scalar(select(User).where(User.email == "achieng@example.com"))
    assert user.role == Role.STUDENT and not user.is_email_verified
    assert user.phone == "254712345678"
    assert user.password_hash.startswith("$2b$") and "Kenya#2026" not in user.password_hash
    [email] = emails_to("achieng@example.com", "welcome")
    assert email.status.value == "SENT"
    assert "/verify-email/" in email.body_text and "/verify-email/" in email.body_html


@pytest.mark.parametrize("password, complaint", [
    ("Sh#1a", "at least 8 characters"),
    ("kenya#2026", "an uppercase letter"),
    ("KENYA#2026", "a lowercase letter"),
    ("Kenya#abcd", "a digit"),
    ("Kenya20266", "a special character"),
    ("Kenya#2026" + "ũ" * 35, "too long"),  # 80 bytes: past what bcrypt reads
])
def test_register_rejects_each_password_policy_failure_and_keeps_other_fields(client, password, complaint):
    response = post_register(client, password=password, confirm=password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert complaint in page
    assert 'value="achieng@example.com"' in page  # what was typed is kept
    assert password not in page  # passwords are never echoed back
    assert db.session.scalar(select(User)) is None


def test_register_rejects_mismatched_confirmation_bad_email_and_bad_phone(client):
    response = post_register(client, confirm="Other#2026", email="not-an-email", phone="12345")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The passwords do not match." in page
    assert "Invalid email address." in page
    assert "Enter a Kenyan mobile number" in page


def test_register_with_a_taken_email_looks_like_a_new_sign_up_and_tells_the_owner(client, make):
    owner = make.user(email="achieng@example.com", name="Achieng Owner", phone=None)
    before = (owner.name, owner.password_hash, owner.phone, owner.role, owner.security_stamp)
    new_answer = post_register(client, email="someone.new@example.com")
    new_page = client.get(new_answer.location).get_data(as_text=True)
    taken_answer = post_register(client, email="Achieng@Example.com")
    taken_page = client.get(taken_answer.location).get_data(as_text=True)
    assert (new_answer.status_code, new_answer.location) == (taken_answer.status_code, taken_answer.location)
    assert page_shape(new_page) == page_shape(taken_page) and "Check your email" in taken_page

    [notice] = emails_to("achieng@example.com", "registration_attempt")
    assert "Someone tried to create a new Mwanzo account" in notice.body_text
    assert "/login" in notice.body_text and "/forgot-password" in notice.body_text
    assert emails_to("achieng@example.com", "welcome") == []
    db.session.refresh(owner)
    assert (owner.name, owner.password_hash, owner.phone, owner.role, owner.security_stamp) == before
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "achieng@example.com")) == 1


def test_registration_is_rate_limited_per_address(client, app):
    limit = int(app.config["REGISTER_RATE_LIMIT"].split()[0])
    statuses = [post_register(client, email=f"learner{i}@example.com").status_code for i in range(limit + 1)]
    assert statuses == [302] * limit + [429]
    assert "Too many attempts" in post_register(client, email="one.more@example.com").get_data(as_text=True)


@pytest.mark.parametrize("role", ["INSTRUCTOR", "EMPLOYER"])
def test_instructor_and_employer_can_be_chosen_at_sign_up(client, role):
    post_register(client, role=role)
    assert db.session.scalar(select(User.role)) == Role(role)


def test_admin_cannot_be_chosen_at_sign_up(client):
    response = post_register(client, role="ADMIN")
    assert response.status_code == 422
    assert db.session.scalar(select(User)) is None


def test_verification_link_verifies_once_and_tampered_link_is_refused(client):
    post_register(client)
    link = link_in(emails_to("achieng@example.com", "welcome")[0], "/verify-email/")
    prefix, _, token = link.rpartition("/")
    response = client.get(f"{prefix}/{tampered(token)}")
    assert response.status_code == 302 and "/verify-email" in response.location
    assert not db.session.scalar(select(User.is_email_verified))
    client.get(link)
    assert db.session.scalar(select(User.is_email_verified))


def test_verification_link_expires_after_24_hours(client, app, monkeypatch):
    post_register(client)
    link = link_in(emails_to("achieng@example.com", "welcome")[0], "/verify-email/")
    import time
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 24 * 3600 + 5)
    client.get(link)
    monkeypatch.undo()
    assert not db.session.scalar(select(User.is_email_verified))


def test_resend_verification_sends_a_new_link_without_revealing_accounts(client, make):
    make.user(email="new@example.com", is_email_verified=False)
    first = client.post("/verify-email", data={"email": "new@example.com"}, follow_redirects=True)
    second = client.post("/verify-email", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert "If that address needs verifying" in first.get_data(as_text=True)
    assert "If that address needs verifying" in second.get_data(as_text=True)
    assert len(emails_to("new@example.com", "verify_email")) == 1
