from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.auth.models import User
from mwanzo.database import Base, TimestampedModel, str_enum
from mwanzo.discussions.models import Moderated
from mwanzo.labels import labels


class JobKind(enum.StrEnum):
    FULL_TIME = "FULL_TIME"
    PART_TIME = "PART_TIME"
    INTERNSHIP = "INTERNSHIP"
    CONTRACT = "CONTRACT"


labels(JobKind, {JobKind.FULL_TIME: _l("Full-time"), JobKind.PART_TIME: _l("Part-time"),
                 JobKind.INTERNSHIP: _l("Internship"), JobKind.CONTRACT: _l("Contract")})


class JobStatus(enum.StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"


class ApplicationStatus(enum.StrEnum):
    NEW = "NEW"
    SHORTLISTED = "SHORTLISTED"
    REJECTED = "REJECTED"
    HIRED = "HIRED"


labels(ApplicationStatus, {ApplicationStatus.NEW: _l("New"), ApplicationStatus.SHORTLISTED: _l("Shortlisted"),
                           ApplicationStatus.REJECTED: _l("Not selected"), ApplicationStatus.HIRED: _l("Hired")})


class VerificationStatus(enum.StrEnum):
    NONE = "NONE"  # never asked, or the company name changed since it was verified
    PENDING = "PENDING"
    VERIFIED = "VERIFIED"
    REJECTED = "REJECTED"


labels(VerificationStatus, {VerificationStatus.NONE: _l("Not verified"),
                            VerificationStatus.PENDING: _l("Waiting for review"),
                            VerificationStatus.VERIFIED: _l("Verified employer"),
                            VerificationStatus.REJECTED: _l("Rejected")})


class EmployerProfile(TimestampedModel):
    """The company behind an employer account. Verification: the employer sends its registration details, an
    admin checks them and verifies (badge on its jobs) or rejects with a reason."""

    __tablename__ = "employer_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    company_name: Mapped[str] = mapped_column(sa.String(200))
    logo_key: Mapped[str | None] = mapped_column(sa.String(500))
    about: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    verification_status: Mapped[VerificationStatus] = mapped_column(
        str_enum(VerificationStatus), default=VerificationStatus.NONE, index=True)
    registration_number: Mapped[str | None] = mapped_column(sa.String(40))  # Business Registration Service number
    verification_details: Mapped[str | None] = mapped_column(sa.Text)  # address, contact person, how to check
    verification_requested_at: Mapped[datetime | None]
    verification_decided_at: Mapped[datetime | None]
    verification_reason: Mapped[str | None] = mapped_column(sa.Text)  # why it was rejected, shown to the employer

    @property
    def is_verified(self) -> bool:
        return self.verification_status == VerificationStatus.VERIFIED


class JobCourse(Base):
    """A course a job asks for: required, or merely preferred."""

    __tablename__ = "job_courses"

    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    is_required: Mapped[bool] = mapped_column(default=True)


class Job(Moderated, TimestampedModel):
    __tablename__ = "jobs"
    __table_args__ = (
        sa.CheckConstraint(
            "salary_min IS NULL OR salary_max IS NULL OR salary_min <= salary_max", name="salary_range"
        ),
        sa.Index("ix_jobs_status_created", "status", "created_at"),
    )

    employer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    is_remote: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[JobKind] = mapped_column(str_enum(JobKind))
    salary_min: Mapped[Decimal | None]
    salary_max: Mapped[Decimal | None]
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[JobStatus] = mapped_column(str_enum(JobStatus), default=JobStatus.OPEN)
    # Deleted by its employer: gone from every page but the applicants' own list of applications.
    deleted_at: Mapped[datetime | None]

    employer: Mapped[User] = relationship(lazy="raise_on_sql")
    courses: Mapped[list[JobCourse]] = relationship(cascade="all, delete-orphan", lazy="raise_on_sql")

    @property
    def author_id(self) -> uuid.UUID:
        """Who posted it, as moderation calls every post's writer."""
        return self.employer_id


class ApplicationCertificate(Base):
    __tablename__ = "application_certificates"

    application_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("job_applications.id", ondelete="CASCADE"), primary_key=True
    )
    certificate_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("certificates.id"), primary_key=True)


class JobApplication(TimestampedModel):
    __tablename__ = "job_applications"
    __table_args__ = (sa.UniqueConstraint("job_id", "applicant_id", name="uq_job_applications_job_applicant"),)

    job_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    applicant_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus), default=ApplicationStatus.NEW)

    job: Mapped[Job] = relationship(lazy="raise_on_sql")
    applicant: Mapped[User] = relationship(lazy="raise_on_sql")


class ContactStatus(enum.StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"


labels(ContactStatus, {ContactStatus.PENDING: _l("Waiting for an answer"), ContactStatus.ACCEPTED: _l("Accepted"),
                       ContactStatus.DECLINED: _l("Declined")})


class ContactRequest(TimestampedModel):
    """An employer's message to a learner in the candidate pool. The learner's email and phone are shown to
    the employer only once the learner accepts; one request per employer and learner, and a decline is final."""

    __tablename__ = "contact_requests"
    __table_args__ = (sa.UniqueConstraint("employer_id", "candidate_id", name="uq_contact_requests_employer_candidate"),
                      sa.Index("ix_contact_requests_candidate_created", "candidate_id", "created_at"))

    employer_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    candidate_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[ContactStatus] = mapped_column(str_enum(ContactStatus), default=ContactStatus.PENDING)
    answered_at: Mapped[datetime | None]

    employer: Mapped[User] = relationship(foreign_keys=[employer_id], lazy="raise_on_sql")
    candidate: Mapped[User] = relationship(foreign_keys=[candidate_id], lazy="raise_on_sql")
