"""Employers contacting learners of the candidate pool who did not apply: a message through the platform.

Consent first: the learner reads the message in their inbox and accepts or declines; only an acceptance
shows that employer the learner's email and phone (services.contactable). One request per employer and
learner (a unique constraint), so a decline is final and an employer cannot ask again and again. Learners
who switched off employer messages (users.accepts_employer_messages) cannot be sent one.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mwanzo.auth.models import Role, User
from mwanzo.careers.models import ContactRequest, ContactStatus
from mwanzo.careers.services import CareersError, get_profile
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import notify
from mwanzo.urls import absolute_url

MESSAGE_MAX_LENGTH = 1000


class NotContactable(CareersError):
    """The learner switched off messages from employers."""


class AlreadyContacted(CareersError):
    def __init__(self, contact: ContactRequest):
        super().__init__("already contacted")
        self.contact = contact


class AlreadyAnswered(CareersError):
    """The learner has already accepted or declined."""


def pool_candidate(user_id: uuid.UUID) -> User | None:
    """A learner an employer may see in the pool; anyone else is None (404 for the employer)."""
    return db.session.scalar(select(User).where(
        User.id == user_id, User.show_to_employers.is_(True), User.is_active.is_(True), User.role == Role.STUDENT))


def contact_between(employer_id: uuid.UUID, candidate_id: uuid.UUID) -> ContactRequest | None:
    return db.session.scalar(select(ContactRequest).where(ContactRequest.employer_id == employer_id,
                                                          ContactRequest.candidate_id == candidate_id))


def company_name(employer: User) -> str:
    profile = get_profile(employer.id)
    return profile.company_name if profile else employer.name


def send_request(employer: User, candidate: User, message: str) -> ContactRequest:
    """Record the message and put it in the learner's inbox (emailed as their notification settings say)."""
    if not candidate.accepts_employer_messages:
        raise NotContactable()
    existing = contact_between(employer.id, candidate.id)
    if existing is not None:
        raise AlreadyContacted(existing)
    contact = ContactRequest(employer_id=employer.id, candidate_id=candidate.id, message=message,
                             status=ContactStatus.PENDING)
    try:
        with db.session.begin_nested():
            db.session.add(contact)
            db.session.flush()
    except IntegrityError:
        raise AlreadyContacted(contact_between(employer.id, candidate.id)) from None
    notify(candidate.id, NotificationKind.CONTACT_REQUEST, absolute_url("careers.contact_request_list"),
           company=company_name(employer))
    return contact


def answer(contact: ContactRequest, accept: bool) -> ContactRequest:
    """Accept or decline, once: one conditional UPDATE, so two answers sent together cannot both count."""
    status = ContactStatus.ACCEPTED if accept else ContactStatus.DECLINED
    changed = db.session.execute(
        update(ContactRequest).where(ContactRequest.id == contact.id, ContactRequest.status == ContactStatus.PENDING)
        .values(status=status, answered_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise AlreadyAnswered()
    db.session.refresh(contact)
    notify(contact.employer_id, NotificationKind.CONTACT_ANSWER, absolute_url("careers.contact_list"),
           name=contact.candidate.name, accepted=accept)
    return contact


def get_request(contact_id: uuid.UUID) -> ContactRequest | None:
    return db.session.scalar(
        select(ContactRequest).where(ContactRequest.id == contact_id).options(joinedload(ContactRequest.candidate)))


def requests_to(candidate_id: uuid.UUID) -> list[ContactRequest]:
    """The learner's messages from employers, newest first, with the employer (profiles: services.profiles_by_user)."""
    return list(db.session.scalars(
        select(ContactRequest).where(ContactRequest.candidate_id == candidate_id)
        .options(joinedload(ContactRequest.employer)).order_by(ContactRequest.created_at.desc())))


def requests_from(employer_id: uuid.UUID) -> list[ContactRequest]:
    """The employer's messages, newest first, with the learner each went to."""
    return list(db.session.scalars(
        select(ContactRequest).where(ContactRequest.employer_id == employer_id)
        .options(joinedload(ContactRequest.candidate)).order_by(ContactRequest.created_at.desc())))


def states(employer_id: uuid.UUID, user_ids) -> dict[uuid.UUID, ContactStatus]:
    """For a page of the pool: where this employer's message to each learner stands, in one query."""
    ids = list(user_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(ContactRequest.candidate_id, ContactRequest.status).where(
        ContactRequest.employer_id == employer_id, ContactRequest.candidate_id.in_(ids))).all())
