"""Reading payments for pages: the learner's own, and the admin's filtered list, totals and timeline."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from mwanzo.courses.models import Course
from mwanzo.courses.services import course_matches
from mwanzo.database import local_day, local_day_start
from mwanzo.extensions import db
from mwanzo.payments.callbacks import CallbackData, parse_callback
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from mwanzo.payments.services import UNREADABLE


def payment_for_page(payment_id: uuid.UUID) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.id == payment_id).options(joinedload(Payment.course)))


def learner_payments(student_id: uuid.UUID) -> list[Payment]:
    return list(db.session.scalars(
        select(Payment).where(Payment.student_id == student_id).options(joinedload(Payment.course))
        .order_by(Payment.created_at.desc())
    ))


@dataclass
class PaymentFilter:
    status: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    course: str | None = None  # typed: a course's address or part of its title
    phone: str | None = None

    def apply(self, query):
        if self.status:
            query = query.where(Payment.status == self.status)
        if self.date_from:
            query = query.where(Payment.created_at >= local_day_start(self.date_from))
        if self.date_to:
            query = query.where(Payment.created_at < local_day_start(self.date_to) + timedelta(days=1))
        if self.course:
            query = query.where(Payment.course_id.in_(select(Course.id).where(course_matches(self.course))))
        if self.phone:
            query = query.where(Payment.phone_number.contains(self.phone))
        return query


def payment_search(filters: PaymentFilter):
    """The admin's list: filtered payments, newest first, with their learner and course."""
    query = filters.apply(select(Payment)).options(joinedload(Payment.student), joinedload(Payment.course))
    return query.order_by(Payment.created_at.desc())


def daily_totals(filters: PaymentFilter, days: int = 31) -> list[tuple]:
    """Per Kenyan day over the filtered payments: (day, payments, paid count, paid amount)."""
    day = local_day(Payment.created_at)
    paid = Payment.status == PaymentStatus.SUCCESS
    query = filters.apply(select(
        day.label("day"), func.count(Payment.id),
        func.sum(case((paid, 1), else_=0)), func.sum(case((paid, Payment.amount), else_=0)),
    )).group_by(day).order_by(day.desc()).limit(days)
    return [(row[0], row[1], int(row[2] or 0), Decimal(str(row[3] or 0))) for row in db.session.execute(query)]


def payment_with_timeline(payment_id: uuid.UUID) -> Payment | None:
    return db.session.scalar(
        select(Payment).where(Payment.id == payment_id)
        .options(joinedload(Payment.student), joinedload(Payment.course), selectinload(Payment.events))
    )


def payments_needing_attention(limit: int = 200) -> list[Payment]:
    """Open cases, oldest first: M-Pesa may have taken money the learner got no course for."""
    return list(db.session.scalars(
        select(Payment).where(Payment.attention.is_not(None), Payment.resolved_at.is_(None))
        .options(joinedload(Payment.student), joinedload(Payment.course))
        .order_by(Payment.created_at).limit(limit)
    ))


def unmatched_success_callbacks(limit: int = 200) -> list[tuple[PaymentEvent, CallbackData]]:
    """Success callbacks that named no payment of ours and no operator has settled yet."""
    events = db.session.scalars(
        select(PaymentEvent).where(PaymentEvent.kind == "callback", PaymentEvent.payment_id.is_(None),
                                   PaymentEvent.resolved_at.is_(None))
        .order_by(PaymentEvent.created_at).limit(limit)
    )
    return [(event, data) for event in events if (data := parse_callback(event.payload)).succeeded]


def problem_callbacks(_criteria: dict | None = None):
    """Every callback that matched no payment (settled or not) or could not be read, newest first."""
    return (select(PaymentEvent)
            .where(or_(and_(PaymentEvent.kind == "callback", PaymentEvent.payment_id.is_(None)),
                       PaymentEvent.kind == UNREADABLE))
            .order_by(PaymentEvent.created_at.desc(), PaymentEvent.id))


def find_payments(term: str, limit: int = 20) -> list[Payment]:
    """Payments whose reference (ours, PayHero's or the checkout's) or M-Pesa receipt is exactly `term`."""
    upper = term.strip().upper()
    return list(db.session.scalars(
        select(Payment).where(or_(Payment.external_reference == term.strip(), Payment.provider_reference == term.strip(),
                                  Payment.checkout_request_id == term.strip(), Payment.mpesa_receipt == upper,
                                  Payment.claimed_receipt == upper))
        .options(joinedload(Payment.student), joinedload(Payment.course))
        .order_by(Payment.created_at.desc()).limit(limit)
    ))


def user_payments(student_id: uuid.UUID, limit: int = 100) -> list[Payment]:
    return list(db.session.scalars(
        select(Payment).where(Payment.student_id == student_id).options(joinedload(Payment.course))
        .order_by(Payment.created_at.desc()).limit(limit)
    ))
