"""One-time codes by SMS: six digits, OTP_LIFETIME_SECONDS (10 minutes) to use, OTP_MAX_TRIES (5) tries,
a new one no sooner than OTP_RESEND_SECONDS (60 s) after the last. Stored as an HMAC keyed with SECRET_KEY,
so a copy of the table reveals no live code; issuing a new code ends the previous one."""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from mwanzo.auth.models import OneTimeCode
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.sms.services import send_sms

SIGN_IN = "sign-in"          # phone-first sign-in or sign-up
VERIFY_PHONE = "verify-phone"  # adding or changing the phone on an account
RESET = "reset"               # account recovery by SMS
REAUTH = "re-auth"            # proving it is the owner before deleting the account


class CodeError(Exception):
    """Base for code problems whose message the page explains."""


class ResendTooSoon(CodeError):
    def __init__(self, seconds: int):
        super().__init__(seconds)
        self.seconds = seconds


class WrongCode(CodeError):
    def __init__(self, tries_left: int):
        super().__init__(tries_left)
        self.tries_left = tries_left


class CodeExpired(CodeError):
    """No live code: never sent, expired, already used or out of tries."""


class TooManyTries(CodeError):
    """The code was tried OTP_MAX_TRIES times; a new one must be asked for."""


def code_hash(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"otp:{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def live_code(phone: str, purpose: str) -> OneTimeCode | None:
    return db.session.scalar(
        select(OneTimeCode).where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose,
                                  OneTimeCode.used_at.is_(None))
        .order_by(OneTimeCode.created_at.desc()).limit(1))


def resend_wait(phone: str, purpose: str) -> int:
    """Seconds until another code may be sent to this number for this purpose (0: now)."""
    latest = db.session.scalar(
        select(OneTimeCode.created_at).where(OneTimeCode.phone == phone, OneTimeCode.purpose == purpose)
        .order_by(OneTimeCode.created_at.desc()).limit(1))
    if latest is None:
        return 0
    remaining = (latest + timedelta(seconds=current_app.config["OTP_RESEND_SECONDS"]) - utcnow()).total_seconds()
    return max(0, math.ceil(remaining))


def issue_code(phone: str, purpose: str, locale: str | None, user_id: uuid.UUID | None = None) -> OneTimeCode:
    """A new code for ``phone``, texted after commit in ``locale``; earlier live codes stop working."""
    row, code = _record_code(phone, purpose, user_id)
    send_sms(phone, "one_time_code", locale=locale, code=code, minutes=lifetime_minutes(), purpose=purpose)
    return row


def issue_decoy_code(phone: str, purpose: str) -> OneTimeCode:
    """A code recorded exactly like a real one but texted to nobody: for recovery of a number without an
    account, so the code page then answers (tries left, expiry, resend wait) as it would for an account."""
    return _record_code(phone, purpose, None)[0]


def lifetime_minutes() -> int:
    return current_app.config["OTP_LIFETIME_SECONDS"] // 60


def _record_code(phone: str, purpose: str, user_id: uuid.UUID | None) -> tuple[OneTimeCode, str]:
    wait = resend_wait(phone, purpose)
    if wait:
        raise ResendTooSoon(wait)
    now = utcnow()
    db.session.execute(update(OneTimeCode).where(
        OneTimeCode.phone == phone, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None)).values(used_at=now))
    code = f"{secrets.randbelow(10**6):06d}"
    row = OneTimeCode(phone=phone, purpose=purpose, code_hash=code_hash(phone, purpose, code), user_id=user_id,
                      expires_at=now + timedelta(seconds=current_app.config["OTP_LIFETIME_SECONDS"]), created_at=now)
    db.session.add(row)
    db.session.flush()
    return row, code


def check_code(phone: str, purpose: str, code: str) -> OneTimeCode:
    """Use the live code. Each wrong try counts (in SQL, so concurrent guesses all count); the caller
    commits whatever the outcome so the count holds."""
    row = live_code(phone, purpose)
    if row is None or row.expires_at <= utcnow():
        raise CodeExpired()
    max_tries = current_app.config["OTP_MAX_TRIES"]
    counted = db.session.execute(update(OneTimeCode).where(OneTimeCode.id == row.id, OneTimeCode.tries < max_tries)
                                 .values(tries=OneTimeCode.tries + 1)).rowcount
    db.session.refresh(row)
    if not counted:
        raise TooManyTries()
    given = "".join(ch for ch in (code or "") if not ch.isspace())
    if not hmac.compare_digest(row.code_hash, code_hash(phone, purpose, given)):
        if row.tries >= max_tries:
            raise TooManyTries()
        raise WrongCode(max_tries - row.tries)
    row.used_at = utcnow()
    return row
