"""Employers, jobs, applications and the candidate pool."""
from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from mwanzo.auth.models import Role, User
from mwanzo import audit
from mwanzo.careers.models import (ApplicationCertificate, ApplicationStatus, ContactRequest, ContactStatus,
                                   EmployerProfile, Job, JobApplication, JobCourse, JobKind, JobStatus,
                                   VerificationStatus)
from mwanzo.courses.models import Category, Course
from mwanzo.courses.services import course_matches
from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import OwnEmail, notify
from mwanzo.images import open_upload
from mwanzo.labels import label
from mwanzo.storage import get_storage
from mwanzo.urls import absolute_url

LOGO_SIZE = 256
PER_PAGE = 20


class CareersError(Exception):
    """Base of the refusals of employer and job actions."""


class JobNotOpen(CareersError):
    """The job is closed or its deadline has passed."""


class AlreadyApplied(CareersError):
    def __init__(self, application: JobApplication):
        super().__init__("already applied")
        self.application = application


class CertificateNotYours(CareersError):
    """Applicants may attach only their own valid certificates."""


class DeadlinePassed(CareersError):
    """A job whose deadline has passed cannot reopen until it is given a new one."""


class AlreadyVerified(CareersError):
    """A verified company has nothing to ask for (changing its name starts over)."""


class NotPending(CareersError):
    """Only a verification request waiting for review can be decided."""


# ---------------------------------------------------------------- company profile

def get_profile(user_id: uuid.UUID) -> EmployerProfile | None:
    return db.session.scalar(select(EmployerProfile).where(EmployerProfile.user_id == user_id))


def store_logo(user_id: uuid.UUID, upload) -> str:
    """Shrink an uploaded picture to at most 256 px and store it as WebP (mwanzo.images.InvalidImage
    if it is not one we accept)."""
    image = open_upload(upload)
    image.thumbnail((LOGO_SIZE, LOGO_SIZE))
    out = io.BytesIO()
    image.save(out, "WEBP", quality=80)
    data = out.getvalue()
    key = f"employers/{user_id}/logo-{hashlib.sha256(data).hexdigest()[:12]}.webp"
    out.seek(0)
    get_storage().save(key, out, "image/webp")
    return key


def save_profile(user: User, company_name: str, about: str | None, location: str | None, website: str | None,
                 logo=None) -> EmployerProfile:
    profile = get_profile(user.id) or EmployerProfile(user_id=user.id, company_name=company_name,
                                                      verification_status=VerificationStatus.NONE)
    if profile.company_name != company_name and profile.verification_status != VerificationStatus.NONE:
        # What was verified is the company by its name: a new name is checked again.
        profile.verification_status = VerificationStatus.NONE
    profile.company_name = company_name
    profile.about = about
    profile.location = location
    profile.website = website
    if logo is not None:
        profile.logo_key = store_logo(user.id, logo)
    db.session.add(profile)
    db.session.flush()
    return profile


def request_verification(profile: EmployerProfile, registration_number: str, details: str) -> EmployerProfile:
    """Send (or correct, while it waits) the company's details for an admin to check."""
    if profile.is_verified:
        raise AlreadyVerified()
    profile.registration_number, profile.verification_details = registration_number, details
    profile.verification_status = VerificationStatus.PENDING
    profile.verification_requested_at, profile.verification_reason = utcnow(), None
    return profile


def decide_verification(actor: User, profile: EmployerProfile, verified: bool, reason: str | None = None) -> None:
    """An admin verifies the company (the badge shows on its jobs at once: job pages are not cached) or
    rejects it with a reason the employer reads; audited, and the employer is notified."""
    # One conditional UPDATE: two admins deciding at once cannot both succeed (nor audit twice).
    decided = db.session.execute(
        update(EmployerProfile).where(EmployerProfile.id == profile.id,
                                      EmployerProfile.verification_status == VerificationStatus.PENDING)
        .values(verification_status=VerificationStatus.VERIFIED if verified else VerificationStatus.REJECTED,
                verification_decided_at=utcnow(), verification_reason=None if verified else reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not decided:
        raise NotPending()
    db.session.refresh(profile)
    audit.record(actor, "employer.verified" if verified else "employer.rejected", ("users", profile.user_id),
                 company=profile.company_name, registration_number=profile.registration_number, reason=reason)
    notify(profile.user_id, NotificationKind.VERIFICATION, absolute_url("careers.verification_request"),
           company=profile.company_name, approved=verified)


def verification_search(criteria: dict):
    """Companies by verification status (waiting ones by default), oldest request first."""
    status = VerificationStatus(criteria.get("status") or VerificationStatus.PENDING)
    return (select(EmployerProfile).where(EmployerProfile.verification_status == status)
            .order_by(EmployerProfile.verification_requested_at, EmployerProfile.id))


def profiles_by_user(user_ids) -> dict[uuid.UUID, EmployerProfile]:
    ids = set(user_ids)
    if not ids:
        return {}
    rows = db.session.scalars(select(EmployerProfile).where(EmployerProfile.user_id.in_(ids)))
    return {profile.user_id: profile for profile in rows}


# ---------------------------------------------------------------- jobs

def save_job(employer: User, job: Job | None = None, *, title: str, description: str, location: str | None,
             is_remote: bool, kind: JobKind, salary_min: Decimal | None, salary_max: Decimal | None,
             skills: list[str], deadline: date | None, required_course_ids: list[uuid.UUID],
             preferred_course_ids: list[uuid.UUID]) -> Job:
    """Create a job (job=None) or update one; the course lists are replaced as given."""
    if job is None:
        job = Job(employer_id=employer.id, status=JobStatus.OPEN)
        db.session.add(job)
    job.title, job.description, job.location, job.is_remote = title, description, location, is_remote
    job.kind, job.salary_min, job.salary_max, job.skills, job.deadline = kind, salary_min, salary_max, skills, deadline
    wanted = {cid: True for cid in required_course_ids}
    for cid in preferred_course_ids:
        wanted.setdefault(cid, False)
    job.courses = [JobCourse(course_id=cid, is_required=required) for cid, required in wanted.items()]
    db.session.flush()
    return job


def close_job(job: Job) -> Job:
    job.status = JobStatus.CLOSED
    return job


def reopen_job(job: Job) -> Job:
    """Open a closed job to applications again; one past its deadline needs a new deadline first."""
    if job.deadline is not None and job.deadline < local_today():
        raise DeadlinePassed()
    job.status = JobStatus.OPEN
    return job


def delete_job(job: Job) -> Job:
    """Soft delete: the job leaves the board, the employer's pages and the pool's contact rule, but its
    applications stay, so each applicant still sees what they applied for (marked removed)."""
    job.status, job.deleted_at = JobStatus.CLOSED, utcnow()
    return job


def local_today() -> date:
    """Deadlines are Kenyan calendar days: a job due 'by 5 March' takes applications all of 5 March, EAT."""
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def is_open(job: Job, today: date | None = None) -> bool:
    today = today or local_today()
    return job.status == JobStatus.OPEN and not job.is_hidden and (job.deadline is None or job.deadline >= today)


def get_job(job_id: uuid.UUID) -> Job | None:
    return db.session.scalar(
        select(Job).where(Job.id == job_id, Job.deleted_at.is_(None))
        .options(joinedload(Job.employer), selectinload(Job.courses))
    )


def courses_by_id(course_ids) -> dict[uuid.UUID, Course]:
    ids = set(course_ids)
    if not ids:
        return {}
    return {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))}


def open_jobs():
    today = local_today()
    return select(Job).where(Job.status == JobStatus.OPEN, Job.deleted_at.is_(None), Job.hidden_at.is_(None),
                             or_(Job.deadline.is_(None), Job.deadline >= today))


def job_search(criteria: dict):
    """Open jobs matching the filters (q, location, kind, course slug), newest first. Paged, that is one
    query for the count and one for the rows; the courses come in one more and company profiles in another."""
    stmt = open_jobs()
    if q := criteria.get("q"):
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Job.title).like(like), func.lower(Job.description).like(like)))
    if location := criteria.get("location"):
        if location.lower() == "remote":
            stmt = stmt.where(Job.is_remote.is_(True))
        else:
            stmt = stmt.where(func.lower(Job.location).like(f"%{location.lower()}%"))
    if kind := criteria.get("kind"):
        stmt = stmt.where(Job.kind == JobKind(kind))
    if course := criteria.get("course"):
        stmt = stmt.where(exists().where(and_(JobCourse.job_id == Job.id, JobCourse.course_id == Course.id,
                                              course_matches(course))))
    return stmt.options(joinedload(Job.employer), selectinload(Job.courses)).order_by(Job.created_at.desc())


def employer_jobs(employer_id: uuid.UUID) -> list[tuple[Job, int]]:
    counts = (select(JobApplication.job_id, func.count().label("n")).group_by(JobApplication.job_id)).subquery()
    rows = db.session.execute(
        select(Job, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.job_id == Job.id)
        .where(Job.employer_id == employer_id, Job.deleted_at.is_(None)).order_by(Job.created_at.desc())
    ).all()
    return [(job, n) for job, n in rows]


# ---------------------------------------------------------------- applications

def learner_certificates(user_id: uuid.UUID) -> list[Certificate]:
    return list(db.session.scalars(
        select(Certificate).where(Certificate.student_id == user_id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc())
    ))


def application_for(job_id: uuid.UUID, applicant_id: uuid.UUID) -> JobApplication | None:
    return db.session.scalar(
        select(JobApplication).where(JobApplication.job_id == job_id, JobApplication.applicant_id == applicant_id)
    )


def apply(job: Job, applicant: User, note: str | None, certificate_ids: list[uuid.UUID]) -> JobApplication:
    """One application per learner and job (the unique constraint decides under a race); only the
    learner's own, unrevoked certificates may be attached; closed or expired jobs refuse."""
    existing = application_for(job.id, applicant.id)
    if existing is not None:
        raise AlreadyApplied(existing)
    if not is_open(job):
        raise JobNotOpen()
    wanted = set(certificate_ids)
    if wanted:
        own = set(db.session.scalars(select(Certificate.id).where(
            Certificate.id.in_(wanted), Certificate.student_id == applicant.id, Certificate.revoked_at.is_(None))))
        if own != wanted:
            raise CertificateNotYours()
    application = JobApplication(job_id=job.id, applicant_id=applicant.id, note=note, status=ApplicationStatus.NEW)
    try:
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
            db.session.add_all(ApplicationCertificate(application_id=application.id, certificate_id=cid)
                               for cid in wanted)
    except IntegrityError:
        raise AlreadyApplied(application_for(job.id, applicant.id)) from None
    return application


def my_applications(user_id: uuid.UUID) -> list[JobApplication]:
    return list(db.session.scalars(
        select(JobApplication).where(JobApplication.applicant_id == user_id)
        .options(joinedload(JobApplication.job).joinedload(Job.employer))
        .order_by(JobApplication.created_at.desc())
    ))


def attached_certificates(application_ids) -> dict[uuid.UUID, list[Certificate]]:
    ids = list(application_ids)
    result: dict[uuid.UUID, list[Certificate]] = {aid: [] for aid in ids}
    if ids:
        rows = db.session.execute(
            select(ApplicationCertificate.application_id, Certificate)
            .join(Certificate, Certificate.id == ApplicationCertificate.certificate_id)
            .where(ApplicationCertificate.application_id.in_(ids)).order_by(Certificate.course_title)
        ).all()
        for application_id, certificate in rows:
            result[application_id].append(certificate)
    return result


def job_applicants(job: Job) -> list[tuple[JobApplication, list[Certificate]]]:
    """Each application with its learner and attached certificates (their revoked state read now)."""
    applications = list(db.session.scalars(
        select(JobApplication).where(JobApplication.job_id == job.id)
        .options(joinedload(JobApplication.applicant)).order_by(JobApplication.created_at)
    ))
    certificates = attached_certificates(a.id for a in applications)
    return [(a, certificates[a.id]) for a in applications]


def get_application(application_id: uuid.UUID) -> JobApplication | None:
    """An application to a job that still exists (a deleted job's are kept for the applicant only)."""
    return db.session.scalar(
        select(JobApplication).join(Job, Job.id == JobApplication.job_id)
        .where(JobApplication.id == application_id, Job.deleted_at.is_(None))
        .options(joinedload(JobApplication.job), joinedload(JobApplication.applicant))
    )


def applicant_rows(job: Job) -> list[list]:
    """The applicants CSV: what the applicants page shows, one row each. Applicants gave the employer
    their details by applying; nobody else is in it."""
    return [[a.applicant.name, a.applicant.email or "", a.applicant.phone or "", a.created_at.date().isoformat(),
             str(label(a.status)), a.note or "",
             "; ".join(c.verification_code if c.revoked_at is None else _("%(code)s (revoked)", code=c.verification_code)
                       for c in certificates)]
            for a, certificates in job_applicants(job)]


def change_status(application: JobApplication, status: ApplicationStatus) -> bool:
    """Set the status; the learner is emailed when it actually changes. Returns whether it changed."""
    if application.status == status:
        return False
    application.status = status
    applicant, job = application.applicant, application.job
    with force_locale(applicant.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        status_label = str(label(status))
    applications_url = absolute_url("careers.application_list")
    notify(applicant.id, NotificationKind.APPLICATION, applications_url,
           OwnEmail("application_status", {"job": job, "status": status, "status_label": status_label,
                                           "applications_url": applications_url}),
           job=job.title)
    return True


# ---------------------------------------------------------------- candidate pool

@dataclass
class Candidate:
    user: User
    certificates: list[Certificate] = field(default_factory=list)


def candidate_search(criteria: dict):
    """Learners who opted in, optionally only those with a valid certificate for a course or in a category
    (criteria: course and category slugs), by name."""
    has_certificate = select(Certificate.id).join(Course, Course.id == Certificate.course_id).where(
        Certificate.student_id == User.id, Certificate.revoked_at.is_(None))
    if course := criteria.get("course"):
        has_certificate = has_certificate.where(course_matches(course))
    if category := criteria.get("category"):
        has_certificate = has_certificate.join(Category, Category.id == Course.category_id).where(
            Category.slug == category)
    stmt = select(User).where(User.show_to_employers.is_(True), User.is_active.is_(True), User.role == Role.STUDENT)
    if course or category:
        stmt = stmt.where(has_certificate.exists())
    return stmt.order_by(User.name, User.id)


def valid_certificates(users) -> dict[uuid.UUID, list[Certificate]]:
    """{user_id: [valid certificates by course title]} for a page of candidates, in one query."""
    ids = [u.id for u in users]
    certificates: dict[uuid.UUID, list[Certificate]] = {uid: [] for uid in ids}
    if ids:
        for certificate in db.session.scalars(
            select(Certificate).where(Certificate.student_id.in_(ids), Certificate.revoked_at.is_(None))
            .order_by(Certificate.course_title)
        ):
            certificates[certificate.student_id].append(certificate)
    return certificates


def contactable(employer_id: uuid.UUID, user_ids) -> set[uuid.UUID]:
    """The consent rule, in one query: a learner's email and phone are shown to an employer only if they
    applied to one of its jobs (not deleted) or accepted its message."""
    ids = list(user_ids)
    if not ids:
        return set()
    applied = (select(JobApplication.applicant_id).join(Job, Job.id == JobApplication.job_id)
               .where(Job.employer_id == employer_id, Job.deleted_at.is_(None), JobApplication.applicant_id.in_(ids)))
    accepted = select(ContactRequest.candidate_id).where(
        ContactRequest.employer_id == employer_id, ContactRequest.status == ContactStatus.ACCEPTED,
        ContactRequest.candidate_id.in_(ids))
    return set(db.session.scalars(applied.union(accepted)))


def pool_categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.display_order, Category.name)))


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    applications = db.session.execute(
        select(JobApplication, Job.title).join(Job, Job.id == JobApplication.job_id)
        .where(JobApplication.applicant_id == user.id).order_by(JobApplication.created_at)).all()
    messages = db.session.scalars(select(ContactRequest).where(ContactRequest.candidate_id == user.id)
                                  .order_by(ContactRequest.created_at))
    return {"job_applications": [{"job": title, "note": a.note, "status": a.status.value, "date": a.created_at}
                                 for a, title in applications],
            "contact_requests": [{"employer_id": str(c.employer_id), "message": c.message, "answer": c.status.value,
                                  "date": c.created_at} for c in messages]}


def erase_user_data(user: User) -> None:
    """Applications go, with the certificates they showed (ON DELETE CASCADE), before certificates may go."""
    db.session.execute(delete(JobApplication).where(JobApplication.applicant_id == user.id))
    db.session.execute(delete(ContactRequest).where(ContactRequest.candidate_id == user.id))
