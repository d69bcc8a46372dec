import time

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from tests.emails import emails_to, link_in
from tests.factories import PASSWORD


def post_login(client, email, password, next_url=None):
    path = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(path, data={"email": email, "password": password})


def test_login_with_right_password_signs_in_and_records_time(client, make):
    user = make.user(email="a@example.com")
    response = post_login(client, "A@example.com", PASSWORD)
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_session_cookie_is_httponly_lax_and_lasts_24_hours(client, make):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie


def test_wrong_password_says_so_and_keeps_email(client, make):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", "Wrong#1234")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Wrong email or password." in page and 'value="a@example.com"' in page
    assert client.get("/profile").status_code == 302


def test_fifth_failure_in_a_row_locks_and_tells_the_owner_how_to_unlock(client, make):
    user = make.user(email="a@example.com")
    for _ in range(4):
        assert "Wrong email or password." in post_login(client, "a@example.com", "Wrong#1234").get_data(as_text=True)
    page = post_login(client, "a@example.com", "Wrong#1234").get_data(as_text=True)
    assert "locked" in page and "Reset your password" in page
    db.session.refresh(user)
    assert user.is_locked and user.failed_login_attempts == 5
    # Even the right password is refused while locked.
    assert "locked" in post_login(client, "a@example.com", PASSWORD).get_data(as_text=True)
    assert emails_to("a@example.com", "account_locked")


def test_successful_login_resets_the_failure_count(client, make):
    user = make.user(email="a@example.com")
    for _ in range(4):
        post_login(client, "a@example.com", "Wrong#1234")
    post_login(client, "a@example.com", PASSWORD)
    db.session.refresh(user)
    assert user.failed_login_attempts == 0 and not user.is_locked


def test_reset_unlocks_a_locked_account(client, make):
    make.user(email="a@example.com", is_locked=True, failed_login_attempts=5)
    client.post("/forgot-password", data={"email": "a@example.com"})
    link = link_in(emails_to("a@example.com", "password_reset")[0], "/reset-password/")
    client.post(link, data={"password": "New#Pass2026", "confirm": "New#Pass2026"})
    client.post("/logout")
    assert post_login(client, "a@example.com", "New#Pass2026").status_code == 302
    user = db.session.scalar(select(User))
    assert not user.is_locked and user.failed_login_attempts == 0


def test_reset_token_works_once_and_ends_older_sessions(app, make):
    make.user(email="a@example.com")
    old_device, new_device = app.test_client(), app.test_client()
    post_login(old_device, "a@example.com", PASSWORD)
    assert old_device.get("/profile").status_code == 200
    new_device.post("/forgot-password", data={"email": "a@example.com"})
    link = link_in(emails_to("a@example.com", "password_reset")[0], "/reset-password/")
    assert new_device.post(link, data={"password": "New#Pass2026", "confirm": "New#Pass2026"}).status_code == 302
    again = new_device.post(link, data={"password": "Other#Pass2026", "confirm": "Other#Pass2026"})
    assert again.status_code == 302 and "/forgot-password" in again.location
    assert old_device.get("/profile").status_code == 302  # signed out everywhere else


def test_reset_token_expires_after_an_hour(client, make, monkeypatch):
    make.user(email="a@example.com")
    client.post("/forgot-password", data={"email": "a@example.com"})
    link = link_in(emails_to("a@example.com", "password_reset")[0], "/reset-password/")
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3601)
    response = client.get(link)
    assert response.status_code == 302 and "/forgot-password" in response.location


def test_forgot_password_never_reveals_whether_an_account_exists(client, make):
    make.user(email="a@example.com")
    known = client.post("/forgot-password", data={"email": "a@example.com"}, follow_redirects=True)
    unknown = client.post("/forgot-password", data={"email": "zz@example.com"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert "If an account uses that address" in known.get_data(as_text=True)
    assert "If an account uses that address" in unknown.get_data(as_text=True)
    assert emails_to("zz@example.com") == []


def test_login_is_rate_limited_per_ip(client, app, make):
    make.user(email="a@example.com")
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    statuses = [post_login(client, f"x{i}@example.com", "Wrong#1234").status_code for i in range(limit + 1)]
    assert statuses[:limit] == [422] * limit
    assert statuses[-1] == 429
    assert "Too many attempts" in post_login(client, "a@example.com", PASSWORD).get_data(as_text=True)


def test_login_is_rate_limited_per_account_across_ips(app, make):
    make.user(email="a@example.com")
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    statuses = []
    for i in range(limit + 1):
        client = app.test_client()
        response = client.post("/login", data={"email": "a@example.com", "password": "Wrong#1234"},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"})
        statuses.append(response.status_code)
    assert statuses[-1] == 429


def test_password_reset_requests_are_rate_limited(client, app):
    limit = int(app.config["RESET_RATE_LIMIT"].split()[0])
    statuses = [client.post("/forgot-password", data={"email": "a@example.com"}).status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_unsafe_next_is_ignored(client, make, target):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.location == "/"


def test_safe_next_is_followed(client, make):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", PASSWORD, next_url="/profile")
    assert response.location == "/profile"


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/profile")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_logout_needs_post_and_ends_the_session(client, make, login):
    login(make.user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_deactivated_account_cannot_log_in(client, make):
    make.user(email="a@example.com", is_active=False)
    assert "deactivated" in post_login(client, "a@example.com", PASSWORD).get_data(as_text=True)


def test_csrf_token_missing_is_refused_with_400(client, csrf_enabled, make):
    make.user(email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_csrf_token_from_the_form_is_accepted(client, csrf_enabled, make):
    import re
    make.user(email="a@example.com")
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"email": "a@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_admin_accounts_come_from_the_cli(app, make):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--name", "Root", "--email", "root@example.com",
                                 "--role", "ADMIN", "--password", "Adm1n#pass"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.role).where(User.email == "root@example.com")) == Role.ADMIN
    weak = runner.invoke(args=["create-user", "--name", "R", "--email", "r2@example.com", "--role", "ADMIN",
                               "--password", "weak"])
    assert weak.exit_code != 0 and "Password needs" in weak.output
