"""Coupons: the discount is computed here, on the server, and what M-Pesa is asked for is the course price
less it. A use is taken when checkout creates the payment (or, for a 100 % coupon, the enrolment) and given
back when the payment ends without money; a payment M-Pesa later confirms takes its use again. A refund
keeps the use counted.

Limits hold under concurrent checkouts: the total is one conditional UPDATE on the coupon row
(``uses < max_uses``), which also holds that row locked until commit, so the per-learner count read after
it sees every earlier checkout of the same coupon."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from mwanzo.audit import record
from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.payments.models import Coupon, CouponKind, CouponRedemption

CODE = re.compile(r"^[A-Z0-9-]{3,40}$")


class CouponRefused(Exception):
    """The code cannot be used for this checkout; ``message`` says why, in words for the learner."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


NOT_FOUND = _l("This coupon code does not exist.")
EXPIRED = _l("This coupon has expired.")
OTHER_COURSE = _l("This coupon is for another course.")
USED_UP = _l("This coupon has been used as many times as it allows.")
USED_BY_YOU = _l("You have already used this coupon as many times as it allows.")


class NotYourCourse(Exception):
    """Instructors make coupons only for their own courses."""


class CodeTaken(Exception):
    """Another coupon already has this code."""


def normalise_code(raw: str | None) -> str:
    return (raw or "").strip().upper()


def whole_shillings(amount: Decimal) -> Decimal:
    """M-Pesa takes whole shillings only: an amount with cents is rounded up to the next shilling."""
    return Decimal(amount).quantize(Decimal(1), rounding=ROUND_CEILING)


def discounted(price: Decimal, coupon: Coupon | None) -> Decimal:
    """The price less the coupon, never below nothing, in whole shillings."""
    price = Decimal(price)
    if coupon is None:
        return whole_shillings(price)
    off = price * Decimal(coupon.value) / 100 if coupon.kind == CouponKind.PERCENT else Decimal(coupon.value)
    return whole_shillings(max(price - off, Decimal(0)))


@dataclass
class Quote:
    price: Decimal
    amount: Decimal
    coupon: Coupon | None

    @property
    def amount_off(self) -> Decimal:
        return whole_shillings(self.price) - self.amount


def find(code: str) -> Coupon | None:
    code = normalise_code(code)
    return db.session.scalar(select(Coupon).where(Coupon.code == code)) if code else None


def check(coupon: Coupon | None, course: Course, now: datetime | None = None) -> None:
    """What a learner can be told before paying (the per-learner limit is checked when the use is taken)."""
    now = now or utcnow()
    if coupon is None:
        raise CouponRefused(NOT_FOUND)
    if coupon.expires_at is not None and coupon.expires_at <= now:
        raise CouponRefused(EXPIRED)
    if coupon.course_id is not None and coupon.course_id != course.id:
        raise CouponRefused(OTHER_COURSE)
    if coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        raise CouponRefused(USED_UP)


def quote(course: Course, code: str | None) -> Quote:
    """The amount to pay for ``course`` with ``code`` (none: the price). Raises CouponRefused."""
    coupon = None
    if normalise_code(code):
        coupon = find(code)
        check(coupon, course)
    return Quote(Decimal(course.price), discounted(course.price, coupon), coupon)


def take_use(quote: Quote, student: User, course: Course, payment_id: uuid.UUID | None) -> CouponRedemption | None:
    """Count one use of the quote's coupon for this checkout, or refuse (CouponRefused) if the coupon is
    used up or the learner has had their share. The caller rolls back on a refusal."""
    coupon = quote.coupon
    if coupon is None:
        return None
    now = utcnow()
    taken = db.session.execute(
        update(Coupon).where(Coupon.id == coupon.id,
                             Coupon.max_uses.is_(None) | (Coupon.uses < Coupon.max_uses),
                             Coupon.expires_at.is_(None) | (Coupon.expires_at > now))
        .values(uses=Coupon.uses + 1, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not taken:
        raise CouponRefused(USED_UP)
    mine = db.session.scalar(select(func.count(CouponRedemption.id)).where(
        CouponRedemption.coupon_id == coupon.id, CouponRedemption.student_id == student.id,
        CouponRedemption.released_at.is_(None)))
    if mine >= coupon.per_learner:
        raise CouponRefused(USED_BY_YOU)
    redemption = CouponRedemption(coupon_id=coupon.id, student_id=student.id, course_id=course.id,
                                  payment_id=payment_id, amount_off=quote.amount_off)
    db.session.add(redemption)
    db.session.flush()
    return redemption


def give_back(payment_id: uuid.UUID) -> None:
    """The payment ended without money: its use returns to the coupon, once."""
    now = utcnow()
    released = db.session.execute(
        update(CouponRedemption).where(CouponRedemption.payment_id == payment_id, CouponRedemption.released_at.is_(None))
        .values(released_at=now, updated_at=now).execution_options(synchronize_session=False)
    ).rowcount
    if released:
        db.session.execute(update(Coupon).where(Coupon.id == _coupon_of(payment_id), Coupon.uses > 0)
                           .values(uses=Coupon.uses - 1).execution_options(synchronize_session=False))


def take_back(payment_id: uuid.UUID) -> None:
    """M-Pesa confirmed money for a payment whose use was given back: it counts again (past any limit,
    since the learner paid the discounted amount)."""
    retaken = db.session.execute(
        update(CouponRedemption).where(CouponRedemption.payment_id == payment_id,
                                       CouponRedemption.released_at.is_not(None))
        .values(released_at=None, updated_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    if retaken:
        db.session.execute(update(Coupon).where(Coupon.id == _coupon_of(payment_id))
                           .values(uses=Coupon.uses + 1).execution_options(synchronize_session=False))


def _coupon_of(payment_id: uuid.UUID):
    return select(CouponRedemption.coupon_id).where(CouponRedemption.payment_id == payment_id).scalar_subquery()


# ---------------------------------------------------------------- making coupons

def create(actor: User, *, code: str, kind: CouponKind, value: Decimal, course: Course | None,
           expires_at: datetime | None, max_uses: int | None, per_learner: int) -> Coupon:
    """Admins for any course or all; instructors for one of their own courses only."""
    if not actor.is_admin and (course is None or course.instructor_id != actor.id):
        raise NotYourCourse()
    code = normalise_code(code)
    if find(code) is not None:
        raise CodeTaken()
    coupon = Coupon(code=code, kind=kind, value=value, course_id=course.id if course else None,
                    created_by_id=actor.id, expires_at=expires_at, max_uses=max_uses, per_learner=per_learner)
    db.session.add(coupon)
    db.session.flush()
    record(actor, "coupon.created", coupon, code=code, kind=kind.value, value=value,
           course=course.title if course else None, max_uses=max_uses, per_learner=per_learner, expires_at=expires_at)
    return coupon


def coupons_by(actor: User) -> list[Coupon]:
    """Every coupon for an admin; an instructor's own courses' coupons otherwise."""
    stmt = select(Coupon).options(joinedload(Coupon.course))
    if not actor.is_admin:
        stmt = stmt.join(Course, Course.id == Coupon.course_id).where(Course.instructor_id == actor.id)
    return list(db.session.scalars(stmt.order_by(Coupon.created_at.desc())))
