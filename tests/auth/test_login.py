import time

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from tests.conftest import IsolatedClient
from tests.emails import emails_to, link_in
from tests.factories import PASSWORD
from tests.pages import page_shape


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


def post_login_from(app, address, email, password, **headers):
    """A login POST from its own device (fresh cookies) at the given client address."""
    return app.test_client().post("/login", data={"email": email, "password": password},
                                  environ_base={"REMOTE_ADDR": address}, headers=headers)


def test_account_locks_after_max_failures_and_only_the_password_holder_is_told(app, make, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_FAILED_LOGINS", 8)
    user = make.user(email="a@example.com")
    # Four guesses from each of two addresses: under the per-address limit, enough for the account lock.
    for address in ("10.0.0.1", "10.0.0.2"):
        for _ in range(4):
            response = post_login_from(app, address, "a@example.com", "Wrong#1234")
            assert response.status_code == 422 and "Wrong email or password." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.is_locked and user.failed_login_attempts == 8
    assert len(emails_to("a@example.com", "account_locked")) == 1
    # A wrong guess at a locked account looks like any other wrong guess; no second email.
    guess = post_login_from(app, "10.0.0.3", "a@example.com", "Wrong#1234").get_data(as_text=True)
    assert "Wrong email or password." in guess and "locked" not in guess
    assert len(emails_to("a@example.com", "account_locked")) == 1
    # The owner, with the right password, is refused and told how to unlock.
    page = post_login_from(app, "10.0.0.4", "a@example.com", PASSWORD).get_data(as_text=True)
    assert "locked" in page and "Reset your password" in page


def test_five_wrong_passwords_from_one_address_do_not_stop_the_owner_elsewhere(app, make):
    user = make.user(email="a@example.com")
    attempts = int(app.config["LOGIN_PAIR_RATE_LIMIT"].split()[0])
    for _ in range(attempts):
        assert post_login_from(app, "10.0.0.66", "a@example.com", "Wrong#1234").status_code == 422
    # That address is stopped trying this account...
    assert post_login_from(app, "10.0.0.66", "a@example.com", PASSWORD).status_code == 429
    # ...while the owner signs in from home, and the account was never locked.
    assert post_login_from(app, "10.0.0.7", "a@example.com", PASSWORD).status_code == 302
    db.session.refresh(user)
    assert not user.is_locked and user.failed_login_attempts == 0


def test_unknown_email_wrong_password_and_locked_account_get_the_same_answer(client, make):
    make.user(email="a@example.com")
    make.user(email="locked@example.com", is_locked=True, failed_login_attempts=20)
    answers = {email: post_login(client, email, "Wrong#1234")
               for email in ("a@example.com", "nobody@example.com", "locked@example.com")}
    assert {response.status_code for response in answers.values()} == {422}
    pages = {page_shape(response.get_data(as_text=True), email) for email, response in answers.items()}
    assert len(pages) == 1 and "Wrong email or password." in pages.pop()


def test_a_password_longer_than_bcrypt_reads_gets_the_ordinary_answer(client, make):
    make.user(email="a@example.com")
    answers = [post_login(client, email, "Wrong#1234" * 10) for email in ("a@example.com", "nobody@example.com")]
    assert [response.status_code for response in answers] == [422, 422]
    assert all("Wrong email or password." in response.get_data(as_text=True) for response in answers)


def test_unknown_email_costs_the_same_bcrypt_work_as_a_wrong_password(app, client, make):
    from mwanzo.auth import models, services

    make.user(email="a@example.com")
    rounds = app.config["BCRYPT_ROUNDS"]
    # The stand-in hash is a real bcrypt hash at the accounts' own cost...
    assert services.dummy_password_hash(rounds).startswith(f"$2b${rounds:02d}$")
    work = []
    for email in ("a@example.com", "nobody@example.com"):
        before = models.password_checks_run
        post_login(client, email, "Wrong#1234")
        work.append(models.password_checks_run - before)
    # ...and each answer ran exactly one bcrypt check.
    assert work == [1, 1]


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


def test_login_is_rate_limited_per_ip(client, app, make, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "5 per hour")
    make.user(email="a@example.com")
    statuses = [post_login(client, f"x{i}@example.com", "Wrong#1234").status_code for i in range(6)]
    assert statuses == [422] * 5 + [429]
    assert "Too many attempts" in post_login(client, "a@example.com", PASSWORD).get_data(as_text=True)


def test_a_hundred_learners_behind_one_address_can_all_sign_in(app, make):
    """Carrier-grade NAT: a whole town shares one address."""
    users = [make.user(email=f"learner{i}@example.com") for i in range(100)]
    statuses = {post_login_from(app, "41.90.0.1", user.email, PASSWORD).status_code for user in users}
    assert statuses == {302}


def test_guessing_one_account_is_stopped_by_the_account_limit_but_the_owner_signing_in_is_not_counted(app, make):
    make.user(email="a@example.com")
    limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    for _ in range(limit + 2):
        assert post_login_from(app, "10.1.0.1", "a@example.com", PASSWORD).status_code == 302
    # Guesses from many addresses, each under the per-address limit.
    statuses = [post_login_from(app, f"10.2.0.{i}", "a@example.com", f"Guess#{i}0000").status_code
                for i in range(limit + 1)]
    assert statuses == [422] * limit + [429]


def test_after_a_password_reset_the_owner_signs_in_at_once_from_any_address(app, make):
    make.user(email="a@example.com")
    pair_limit = int(app.config["LOGIN_PAIR_RATE_LIMIT"].split()[0])
    account_limit = int(app.config["LOGIN_ACCOUNT_RATE_LIMIT"].split()[0])
    # Wrong passwords fill the window of the owner's home address (a shared mobile address) and, with
    # guesses from elsewhere, the account's window.
    for _ in range(pair_limit):
        assert post_login_from(app, "10.4.0.1", "a@example.com", "Wrong#1234").status_code == 422
    for i in range(account_limit - pair_limit):
        assert post_login_from(app, f"10.5.0.{i}", "a@example.com", "Wrong#1234").status_code == 422
    assert post_login_from(app, "10.4.0.1", "a@example.com", PASSWORD).status_code == 429
    assert post_login_from(app, "10.4.0.2", "a@example.com", PASSWORD).status_code == 429
    # The owner proves the address with the emailed link, from the phone.
    phone = app.test_client()
    phone.post("/forgot-password", data={"email": "a@example.com"}, environ_base={"REMOTE_ADDR": "10.4.0.2"})
    link = link_in(emails_to("a@example.com", "password_reset")[0], "/reset-password/")
    assert phone.post(link, data={"password": "New#Pass2026", "confirm": "New#Pass2026"},
                      environ_base={"REMOTE_ADDR": "10.4.0.2"}).status_code == 302
    for address in ("10.4.0.1", "10.4.0.2", "10.6.0.1"):
        assert post_login_from(app, address, "a@example.com", "New#Pass2026").status_code == 302
    # Guessing starts counting again from nothing.
    for _ in range(pair_limit):
        assert post_login_from(app, "10.7.0.1", "a@example.com", "Wrong#1234").status_code == 422
    assert post_login_from(app, "10.7.0.1", "a@example.com", "New#Pass2026").status_code == 429


def test_trusted_proxy_count_decides_whose_address_is_limited(app, make, monkeypatch):
    from mwanzo import create_app

    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "2 per hour")
    behind_proxy = create_app({**app.config, "TRUSTED_PROXIES": 1})
    behind_proxy.test_client_class = IsolatedClient
    make.user(email="a@example.com")

    def statuses(target, forwarded_for):
        return [target.test_client().post("/login", data={"email": "a@example.com", "password": "Wrong#1234"},
                                          environ_base={"REMOTE_ADDR": "10.9.9.9"},
                                          headers={"X-Forwarded-For": address}).status_code
                for address in forwarded_for]

    # Two phones behind the same proxy are two clients, each with its own allowance.
    assert statuses(behind_proxy, ["197.1.1.1", "197.1.1.1", "197.2.2.2", "197.2.2.2"]) == [422] * 4
    assert statuses(behind_proxy, ["197.1.1.1"]) == [429]
    # With no trusted proxy, a made-up X-Forwarded-For does not buy a fresh allowance.
    assert statuses(app, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [422, 422, 429]


def test_password_reset_requests_are_rate_limited(client, app):
    limit = int(app.config["RESET_RATE_LIMIT"].split()[0])
    statuses = [client.post("/forgot-password", data={"email": "a@example.com"}).status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_unsafe_next_is_ignored(client, make, target):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", PASSWORD, next_url=target)
    assert response.status_code == 302
    assert response.location == "/dashboard"


def test_safe_next_is_followed(client, make):
    make.user(email="a@example.com")
    response = post_login(client, "a@example.com", PASSWORD, next_url="/profile")
    assert response.location == "/profile"


@pytest.mark.parametrize("role, start", [(Role.STUDENT, "/dashboard"), (Role.INSTRUCTOR, "/studio/"),
                                         (Role.EMPLOYER, "/employer/jobs"), (Role.ADMIN, "/admin/")])
def test_signing_in_lands_on_the_page_with_ones_own_work(client, make, role, start):
    make.user(email="a@example.com", role=role)
    response = post_login(client, "a@example.com", PASSWORD)
    assert response.location == start
    page = client.get(start)
    assert page.status_code == 200 and "Log out" in page.get_data(as_text=True)
    assert client.get("/login").location == start  # a signed-in visitor sent to the login page goes there too


def test_anonymous_visitor_is_sent_to_login_with_next(client):
    response = client.get("/profile")
    assert response.status_code == 302 and response.location.startswith("/login?next=")


def test_logout_needs_post_and_ends_the_session(client, make, login):
    login(make.user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/profile").status_code == 302


def test_a_session_cookie_copied_before_logout_no_longer_signs_in(app, client, make):
    make.user(email="a@example.com")
    post_login(client, "a@example.com", PASSWORD)
    copied = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/profile").status_code == 302


def test_a_remember_cookie_copied_before_logout_no_longer_signs_in(app, client, make):
    make.user(email="a@example.com")
    client.post("/login", data={"email": "a@example.com", "password": PASSWORD, "remember": "y"})
    copied = client.get_cookie("remember_token").value
    other_device = app.test_client()
    other_device.set_cookie("remember_token", copied)
    assert other_device.get("/profile").status_code == 200  # the cookie alone signs in until logout
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("remember_token", copied)
    assert thief.get("/profile").status_code == 302


def test_remember_cookie_lasts_the_stated_30_days(client, make):
    from datetime import UTC, datetime, timedelta
    from email.utils import parsedate_to_datetime

    make.user(email="a@example.com")
    response = client.post("/login", data={"email": "a@example.com", "password": PASSWORD, "remember": "y"})
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=1)


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
