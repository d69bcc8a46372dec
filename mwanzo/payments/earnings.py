"""Instructor statements by month (business timezone): gross (what learners paid for the instructor's
courses that month, coupons already taken off), refunds (payments refunded that month), the platform's
share of both (each payment's own PLATFORM_SHARE_PERCENT, frozen at checkout) and the net the instructor
earns: net = gross − refunds − (platform share of gross − platform share of refunds).

Two queries for any number of months: sales and refunds, each summed per day in SQL, then per month here."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import func, select

from mwanzo.courses.models import Course
from mwanzo.database import business_timezone, local_day, local_day_start, utcnow
from mwanzo.extensions import db
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus

CENT = Decimal("0.01")


@dataclass
class MonthStatement:
    month: date  # the first day of the month
    gross: Decimal
    refunds: Decimal
    platform_share: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds - self.platform_share

    def row(self) -> list:
        return [self.month.strftime("%Y-%m"), *(Decimal(v).quantize(CENT) for v in
                                                 (self.gross, self.refunds, self.platform_share, self.net))]


def _share():
    default = Decimal(current_app.config["PLATFORM_SHARE_PERCENT"])
    return func.coalesce(Payment.platform_share_percent, default)


def today() -> date:
    return utcnow().astimezone(business_timezone()).date()


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def months_back(last: date, count: int) -> list[date]:
    """`count` months ending with the month of `last`, newest first."""
    months, year, month = [], last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def statements(instructor_id: uuid.UUID, last: date, count: int = 12) -> list[MonthStatement]:
    """The instructor's last `count` monthly statements up to the month of `last`, newest first."""
    months = months_back(last, count)
    start, end = local_day_start(months[-1]), local_day_start(_next_month(months[0]))
    paid_at = func.coalesce(Payment.settled_at, Payment.created_at)
    sale_day = local_day(paid_at).label("day")
    sales = db.session.execute(
        select(sale_day, func.sum(Payment.amount), func.sum(Payment.amount * _share() / 100))
        .join(Course, Course.id == Payment.course_id)
        .where(Course.instructor_id == instructor_id,
               Payment.status.in_((PaymentStatus.SUCCESS, PaymentStatus.REFUNDED)),
               Payment.settled_at.is_not(None), paid_at >= start, paid_at < end)
        .group_by(sale_day)
    ).all()
    refund_day = local_day(PaymentEvent.created_at).label("day")
    refunds = db.session.execute(
        select(refund_day, func.sum(Payment.amount), func.sum(Payment.amount * _share() / 100))
        .join(PaymentEvent, (PaymentEvent.payment_id == Payment.id) & (PaymentEvent.kind == "refunded"))
        .join(Course, Course.id == Payment.course_id)
        .where(Course.instructor_id == instructor_id, Payment.status == PaymentStatus.REFUNDED,
               Payment.settled_at.is_not(None), PaymentEvent.created_at >= start, PaymentEvent.created_at < end)
        .group_by(refund_day)
    ).all()
    totals = {m: [Decimal(0), Decimal(0), Decimal(0), Decimal(0)] for m in months}
    for rows, offset in ((sales, 0), (refunds, 2)):
        for day, amount, share in rows:
            month = first_of_month(day if isinstance(day, date) else date.fromisoformat(str(day)))
            totals[month][offset] += Decimal(amount or 0)
            totals[month][offset + 1] += Decimal(share or 0)
    return [MonthStatement(m, gross, refunded, (share - refunded_share).quantize(CENT, ROUND_HALF_UP))
            for m, (gross, share, refunded, refunded_share) in totals.items()]


def all_time_net(instructor_id: uuid.UUID) -> Decimal:
    """What the instructor has earned since the start: every sale's share, less every refund's."""
    keep = Payment.amount * (100 - _share()) / 100
    sold = db.session.scalar(
        select(func.coalesce(func.sum(keep), 0)).join(Course, Course.id == Payment.course_id)
        .where(Course.instructor_id == instructor_id, Payment.settled_at.is_not(None),
               Payment.status.in_((PaymentStatus.SUCCESS, PaymentStatus.REFUNDED))))
    refunded = db.session.scalar(
        select(func.coalesce(func.sum(keep), 0)).join(Course, Course.id == Payment.course_id)
        .where(Course.instructor_id == instructor_id, Payment.settled_at.is_not(None),
               Payment.status == PaymentStatus.REFUNDED))
    return (Decimal(sold) - Decimal(refunded)).quantize(CENT, ROUND_HALF_UP)
