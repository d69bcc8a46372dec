from __future__ import annotations

import enum
import uuid
from datetime import date
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


class EmployerProfile(TimestampedModel):
    __tablename__ = "employer_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    company_name: Mapped[str] = mapped_column(sa.String(200))
    logo_key: Mapped[str | None] = mapped_column(sa.String(500))
    about: Mapped[str | None] = mapped_column(sa.Text)
    location: Mapped[str | None] = mapped_column(sa.String(200))
    website: Mapped[str | None] = mapped_column(sa.String(300))


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
