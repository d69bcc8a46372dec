"""Accounts: registration, tokens, login with lockout, password reset, profile."""
from __future__ import annotations

import secrets
import uuid
from functools import cache

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, delete, or_, select, update

from mwanzo import cache as page_cache
from mwanzo.auth.models import OneTimeCode, Role, User, hash_password, new_security_stamp, password_matches
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.notifications.services import send_email
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone
from mwanzo.urls import absolute_url

VERIFY_MAX_AGE = 24 * 3600
RESET_MAX_AGE = 3600
SELF_SERVICE_ROLES = (Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER)
# Reset links must work once, so they carry the security stamp that a reset rotates. Verification links
# need not: verifying twice is harmless, and logging out (which rotates the stamp) must not break them.
STAMPED_PURPOSES = {"reset-password"}


class AuthError(Exception):
    """Base for account errors whose message is safe to show."""


class EmailTaken(AuthError):
    """An account already uses this email address."""


class InvalidCredentials(AuthError):
    """Wrong email or password."""


class AccountLocked(AuthError):
    """Too many wrong passwords in a row locked the account."""


class AccountInactive(AuthError):
    """An admin deactivated the account."""


class PhoneTaken(AuthError):
    """Another account has verified this phone."""


class InvalidToken(AuthError):
    """The emailed link is forged, expired or already used."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def find_user_by_phone(phone: str) -> User | None:
    """The account whose verified phone this is (canonical 2547… form)."""
    return db.session.scalar(select(User).where(User.phone == phone, User.is_phone_verified.is_(True)))


def find_user_by_login(identifier: str) -> User | None:
    """Sign-in by email, or by a verified Kenyan mobile number."""
    if "@" not in (identifier or ""):
        try:
            return find_user_by_phone(normalise_kenyan_phone(identifier))
        except InvalidPhone:
            return None
    return find_user_by_email(identifier)


def record_consent(user: User) -> None:
    user.consent_version = current_app.config["PRIVACY_VERSION"]
    user.consented_at = utcnow()


def create_phone_user(name: str, phone: str, locale: str | None) -> User:
    """A learner who proved this phone with a code; no email, and a random password until they set one
    (account recovery by SMS sets it)."""
    if find_user_by_phone(phone):
        raise PhoneTaken(phone)
    user = User(name=name.strip(), email=None, phone=phone, is_phone_verified=True, role=Role.STUDENT,
                locale=locale)
    user.set_password(secrets.token_urlsafe(24))
    record_consent(user)
    db.session.add(user)
    db.session.flush()
    return user


def change_phone(user: User, phone: str | None) -> bool:
    """A new or removed phone; a new one is unverified until its code is entered. True when a code is due: only
    for a changed number (saving the profile again sends no SMS; the profile's button asks for one again)."""
    if phone == user.phone:
        return False
    user.phone, user.is_phone_verified = phone, False
    return phone is not None


def confirm_phone(user: User, phone: str) -> None:
    if user.phone != phone:
        raise InvalidToken("phone changed")
    other = find_user_by_phone(phone)
    if other is not None and other.id != user.id:
        raise PhoneTaken(phone)
    user.is_phone_verified = True


def change_email(user: User, email: str | None) -> None:
    """A new address is unverified until its emailed link is followed; only learners may have none."""
    email = normalise_email(email) or None
    if email == user.email:
        return
    if email is None and user.role != Role.STUDENT:
        raise ValueError("instructors and employers need an email address")
    if email is not None and find_user_by_email(email):
        raise EmailTaken(email)
    user.email, user.is_email_verified = email, False
    if email is not None:
        send_verification(user)


def account_query(*also) -> Select:
    """The statement Flask-Login's loader runs: the account whose id is bound as ``user_id``, and ``also``,
    values about the user read by the same query (expressions correlated to ``users.id``, such as the inbox's
    unread count), so a signed-in page costs one query, not several. Built once by the loader's owner, not per
    request: building a statement and computing its cache key costs more Python than running it."""
    return select(User, *also).where(User.id == bindparam("user_id"))


def load_user_from_session_id(session_id: str, query: Select) -> tuple[User | None, tuple]:
    """Flask-Login's loader: the id carries the security stamp, so a password change ends old sessions.
    ``query`` is an ``account_query``; its ``also`` values are returned beside the user."""
    user_id, _, stamp = session_id.partition(":")
    try:
        row = db.session.execute(query, {"user_id": uuid.UUID(user_id)}).first()
    except ValueError:
        return None, ()
    if row is None or row[0].security_stamp != stamp or not row[0].is_active:
        return None, ()
    return row[0], tuple(row[1:])


def create_user(name: str, email: str, password: str, role: Role = Role.STUDENT, phone: str | None = None,
                verified: bool = False, locale: str | None = None) -> User:
    email = normalise_email(email)
    if find_user_by_email(email):
        raise EmailTaken(email)
    user = User(name=name.strip(), email=email, role=role, phone=phone, is_email_verified=verified, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def register(name: str, email: str, password: str, role: Role = Role.STUDENT, phone: str | None = None,
             locale: str | None = None) -> None:
    """Create the account and email its verification link. For an address that already has an account,
    nothing changes: its owner is told by email instead, so the form never reveals who has an account.

    locale is the language the visitor chose before signing up (None: the account follows the browser)."""
    if role not in SELF_SERVICE_ROLES:
        raise ValueError("ADMIN accounts are created by an admin or the CLI")
    owner = find_user_by_email(email)
    if owner is not None:
        hash_password(password)  # the same bcrypt work as a new account, so the answer takes as long
        # One notice a day per address, however often someone tries.
        send_email(owner.email, "registration_attempt", locale=owner.locale, user=owner,
                   dedupe_key=f"registration-attempt:{owner.id}:{utcnow():%Y-%m-%d}",
                   login_url=absolute_url("auth.login"), reset_url=absolute_url("auth.forgot_password"))
        return
    user = create_user(name, email, password, role=role, phone=phone, locale=locale)
    record_consent(user)
    send_email(user.email, "welcome", locale=user.locale, user=user,
               verify_url=absolute_url("auth.verify_email", token=make_token(user, "verify-email")))


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"mwanzo-{purpose}")


def make_token(user: User, purpose: str) -> str:
    data = {"uid": str(user.id), "email": user.email}
    if purpose in STAMPED_PURPOSES:
        data["stamp"] = user.security_stamp
    return _serializer(purpose).dumps(data)


def read_token(token: str, purpose: str, max_age: int) -> User:
    """The token must be signed for this purpose, unexpired, for the user's current email and, for
    one-use purposes, minted under the user's current stamp."""
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken("expired") from exc
    except BadSignature as exc:
        raise InvalidToken("invalid") from exc
    user = db.session.get(User, uuid.UUID(data["uid"]))
    if user is None or user.email != data["email"] or (
            purpose in STAMPED_PURPOSES and user.security_stamp != data.get("stamp")):
        raise InvalidToken("used")
    return user


def send_verification(user: User) -> None:
    send_email(user.email, "verify_email", locale=user.locale, user=user,
               verify_url=absolute_url("auth.verify_email", token=make_token(user, "verify-email")))


def resend_verification(email: str) -> None:
    """A fresh link for an unverified account; silent for unknown or verified addresses."""
    user = find_user_by_email(email)
    if user is not None and not user.is_email_verified:
        send_verification(user)


def verify_email(token: str) -> User:
    user = read_token(token, "verify-email", VERIFY_MAX_AGE)
    user.is_email_verified = True
    return user


@cache
def dummy_password_hash(rounds: int) -> str:
    """A real bcrypt hash at the configured cost (one per cost, made once), checked when the email has
    no account."""
    return hash_password(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User:
    """Check a login. Each wrong password counts; the MAX_FAILED_LOGINS-th in a row locks the account.

    An unknown email, a wrong password, an address not yet verified and a locked account with a wrong
    password give the same answer after the same bcrypt work; only someone who knows the password learns that the account is locked
    or deactivated (the owner is emailed when it locks)."""
    user = find_user_by_login(email)
    if user is None:
        password_matches(password, dummy_password_hash(current_app.config["BCRYPT_ROUNDS"]))
        raise InvalidCredentials()
    if not user.check_password(password):
        # Counted in SQL so two concurrent wrong guesses both count.
        db.session.execute(
            update(User).where(User.id == user.id).values(failed_login_attempts=User.failed_login_attempts + 1)
        )
        db.session.refresh(user)
        if not user.is_locked and user.failed_login_attempts >= current_app.config["MAX_FAILED_LOGINS"]:
            user.is_locked = True
            send_email(user.email, "account_locked", locale=user.locale, user=user,
                       reset_url=absolute_url("auth.forgot_password"))
        raise InvalidCredentials()
    if not user.is_contact_verified:
        # Until its address is proven the account answers like a wrong password: otherwise signing up with
        # someone's email and then logging in with the new password would tell whether they had an account.
        raise InvalidCredentials()
    if user.is_locked:
        raise AccountLocked()
    if not user.is_active:
        raise AccountInactive()
    user.failed_login_attempts = 0
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Logging out rotates the stamp, so a copied session or remember cookie stops working everywhere.

    Chosen over a table of per-device sessions: the stamp is already checked on every request (no new
    query or table), and on the shared and borrowed phones many learners use, logging out should also end
    a session left open on another device."""
    user.security_stamp = new_security_stamp()


def request_password_reset(email: str) -> None:
    """Emails a reset link when the account exists; says nothing either way."""
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        return
    send_email(user.email, "password_reset", locale=user.locale, user=user,
               reset_url=absolute_url("auth.reset_password", token=make_token(user, "reset-password")))


def check_reset_token(token: str) -> User:
    return read_token(token, "reset-password", RESET_MAX_AGE)


def reset_password(token: str, new_password: str) -> User:
    user = check_reset_token(token)
    set_new_password(user, new_password)
    user.is_locked = False
    user.failed_login_attempts = 0
    # Following the emailed link proves the address.
    user.is_email_verified = True
    return user


def set_new_password(user: User, new_password: str) -> None:
    """Changing the password rotates the stamp: older sessions and emailed tokens stop working."""
    user.set_password(new_password)
    user.security_stamp = new_security_stamp()


def update_profile(user: User, **fields) -> User:
    if any(getattr(user, name) != fields[name] for name in ("name", "bio") if name in fields):
        page_cache.bump_labels()  # shown on course cards and pages (as instructor or reviewer)
    for name, value in fields.items():
        setattr(user, name, value)
    return user


# ---------------------------------------------------------------- the person's data (privacy calls these)

ERASED_NAME = "Deleted account"


def export_user_data(user: User) -> dict[str, list[dict]]:
    """The account itself and the sign-in codes sent for it (stored as hashes: only when and what for)."""
    mine = OneTimeCode.user_id == user.id
    codes = db.session.scalars(select(OneTimeCode).where(
        or_(mine, OneTimeCode.phone == user.phone) if user.phone else mine).order_by(OneTimeCode.created_at))
    return {
        "users": [{
            "name": user.name, "email": user.email, "email_verified": user.is_email_verified,
            "phone": user.phone, "phone_verified": user.is_phone_verified, "role": user.role.value,
            "bio": user.bio, "language": user.locale, "created_at": user.created_at,
            "last_login_at": user.last_login_at, "consent_version": user.consent_version,
            "consented_at": user.consented_at,
            "preferences": {"data_saver": user.data_saver, "captions_language": user.captions_language,
                            "show_to_employers": user.show_to_employers,
                            "accepts_employer_messages": user.accepts_employer_messages,
                            "email_weekly_report": user.email_weekly_report,
                            "sms_study_reminder": user.sms_study_reminder},
        }],
        "one_time_codes": [{"purpose": c.purpose, "phone": c.phone, "sent_at": c.created_at,
                            "expires_at": c.expires_at, "used_at": c.used_at} for c in codes],
    }


def erase_user_data(user: User) -> None:
    """Last of all the domains (they find their rows by the email and phone this clears): the codes go, the
    account row stays anonymised and unusable, because payments and the data-request log point at it."""
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id == user.id))
    if user.phone:
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.phone == user.phone))
    user.name, user.email, user.phone, user.bio = ERASED_NAME, None, None, None
    user.is_email_verified = user.is_phone_verified = user.show_to_employers = False
    user.email_weekly_report = user.sms_study_reminder = False
    user.is_active, user.locale, user.last_login_at, user.captions_language = False, None, None, None
    user.set_password(secrets.token_urlsafe(24))
    user.security_stamp = new_security_stamp()
    user.erased_at = utcnow()


def delete_unused_accounts(created_before, in_use) -> int:
    """Learner accounts never verified by email or phone, never signed in, created before the cutoff and
    not among ``in_use`` (a select of account ids other domains still hold records for), with their codes."""
    stale = list(db.session.scalars(select(User.id).where(
        User.created_at < created_before, User.is_email_verified.is_(False), User.is_phone_verified.is_(False),
        User.erased_at.is_(None), User.role == Role.STUDENT, User.last_login_at.is_(None), User.id.not_in(in_use))))
    if stale:
        db.session.execute(delete(OneTimeCode).where(OneTimeCode.user_id.in_(stale)))
        db.session.execute(delete(User).where(User.id.in_(stale)))
    return len(stale)


def delete_old_codes(created_before) -> int:
    return db.session.execute(delete(OneTimeCode).where(OneTimeCode.created_at < created_before)).rowcount
