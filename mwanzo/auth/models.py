from __future__ import annotations

import enum
import secrets
import uuid
from datetime import datetime

import bcrypt
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from mwanzo.database import TimestampedModel, str_enum
from mwanzo.labels import labels


class Role(enum.StrEnum):
    STUDENT = "STUDENT"
    INSTRUCTOR = "INSTRUCTOR"
    EMPLOYER = "EMPLOYER"
    ADMIN = "ADMIN"


labels(Role, {Role.STUDENT: _l("Learner"), Role.INSTRUCTOR: _l("Instructor"), Role.EMPLOYER: _l("Employer"),
              Role.ADMIN: _l("Administrator")})


def new_security_stamp() -> str:
    return secrets.token_hex(16)


# bcrypt reads at most 72 bytes. New passwords are held to that by the form; a longer one typed at login is
# cut there, as bcrypt itself once did, so it still costs one real check and never raises.
BCRYPT_MAX_BYTES = 72


def hash_password(password: str) -> str:
    rounds = current_app.config["BCRYPT_ROUNDS"]
    return bcrypt.hashpw(password.encode()[:BCRYPT_MAX_BYTES], bcrypt.gensalt(rounds)).decode()


# bcrypt verifications run by this process: lets a test or an operator confirm that every login answer,
# whether or not the email has an account, cost the same bcrypt work.
password_checks_run = 0


def password_matches(password: str, password_hash: str) -> bool:
    global password_checks_run
    password_checks_run += 1
    return bcrypt.checkpw(password.encode()[:BCRYPT_MAX_BYTES], password_hash.encode())


class User(UserMixin, TimestampedModel):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(sa.String(120))
    # Optional for learners who sign up by phone; instructors and employers always have one.
    email: Mapped[str | None] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(128))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # A verified phone signs in by code; one account per verified number (partial unique index below).
    is_phone_verified: Mapped[bool] = mapped_column(default=False)
    bio: Mapped[str | None] = mapped_column(sa.Text)
    role: Mapped[Role] = mapped_column(str_enum(Role), default=Role.STUDENT, index=True)
    is_email_verified: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    is_locked: Mapped[bool] = mapped_column(default=False)
    failed_login_attempts: Mapped[int] = mapped_column(default=0)
    last_login_at: Mapped[datetime | None]
    # Rotated on password change and logout: old sessions, reset links and remember cookies stop working.
    security_stamp: Mapped[str] = mapped_column(sa.String(32), default=new_security_stamp)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    data_saver: Mapped[bool] = mapped_column(default=False)
    captions_language: Mapped[str | None] = mapped_column(sa.String(8))  # the player's captions; NULL: off
    show_to_employers: Mapped[bool] = mapped_column(default=False)
    # In the pool, employers may send a message asking for the learner's contact details; off: no button, refused.
    accepts_employer_messages: Mapped[bool] = mapped_column(default=True)
    email_weekly_report: Mapped[bool] = mapped_column(default=True)
    # A text a week when the learner has an unfinished course and has not studied lately; opt-in (it is an SMS).
    sms_study_reminder: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The privacy notice and terms the person agreed to, and when.
    consent_version: Mapped[str | None] = mapped_column(sa.String(20))
    consented_at: Mapped[datetime | None]
    # Set when the account was erased at its owner's request: the row stays, anonymised, for payments.
    erased_at: Mapped[datetime | None]

    __table_args__ = (
        sa.Index("uq_users_verified_phone", "phone", unique=True,
                 sqlite_where=sa.text("is_phone_verified = 1"), postgresql_where=sa.text("is_phone_verified")),
    )
    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return password_matches(password, self.password_hash)

    def get_id(self) -> str:
        return f"{self.id}:{self.security_stamp}"

    @property
    def is_contact_verified(self) -> bool:
        """Enrolling and paying need a proven way to reach the person: a verified email, or for a
        learner a verified phone."""
        return self.is_email_verified or (self.is_phone_verified and self.role == Role.STUDENT)

    @property
    def display_contact(self) -> str:
        return self.email or (f"+{self.phone}" if self.phone else "")

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.email or self.phone} {self.role}>"


class OneTimeCode(TimestampedModel):
    """A six-digit code sent by SMS, stored only as a keyed hash. One live code per (phone, purpose):
    issuing a new one ends the old. It works once, for OTP_LIFETIME_SECONDS, within OTP_MAX_TRIES tries."""

    __tablename__ = "one_time_codes"

    phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
