"""Coupons at checkout: what M-Pesa is asked for is the price less the coupon, computed on the server; a
coupon that covers the whole price gives the course without a payment; expiry, course, total and
per-learner limits hold, also when checkouts race; a payment that ends unpaid gives its use back."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments import coupons
from mwanzo.payments.models import Coupon, CouponKind, CouponRedemption, Payment, PaymentStatus
from tests.concurrency import run_together
from tests.confirmations import post_confirmed
from tests.payments.conftest import callback_path


def coupon(code="KARIBU20", kind=CouponKind.PERCENT, value="20", course=None, **values) -> Coupon:
    admin = values.pop("creator", None)
    if admin is None:
        from tests.factories import user
        admin = user(role=Role.ADMIN)
    row = Coupon(code=code, kind=kind, value=Decimal(value), course_id=course.id if course else None,
                 created_by_id=admin.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def uses(code: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Coupon.uses).where(Coupon.code == code))


def payments() -> list[Payment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Payment)))


@pytest.mark.parametrize("kind, value, pushed", [(CouponKind.PERCENT, "20", 1200), (CouponKind.FIXED, "250", 1250),
                                                 (CouponKind.PERCENT, "33.33", 1001), (CouponKind.FIXED, "1499.5", 1)])
def test_the_discounted_amount_is_what_m_pesa_is_asked_for(checkout, payhero, kind, value, pushed):
    coupon(kind=kind, value=value)
    payment = checkout(coupon="karibu20")
    assert payment.amount == Decimal(pushed)
    [push] = payhero.pushes()
    assert push["body"]["amount"] == pushed
    assert uses("KARIBU20") == 1


def test_the_checkout_page_shows_the_discount_before_paying(client, login, make, paid_course):
    coupon(value="50")
    login(make.user())
    page = client.get(f"/courses/{paid_course.slug}/checkout", query_string={"coupon": "karibu20"})
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-amount="750"' in body and "KARIBU20" in body
    unknown = client.get(f"/courses/{paid_course.slug}/checkout", query_string={"coupon": "NOPE"}).get_data(as_text=True)
    assert "does not exist" in unknown and 'data-amount="1500"' in unknown


def test_a_full_discount_enrols_without_a_payment(client, login, make, paid_course, payhero):
    coupon(value="100")
    learner = login(make.user())
    response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678", "coupon": "KARIBU20"})
    assert response.status_code == 303 and f"/learn/{paid_course.slug}" in response.headers["Location"]
    assert payments() == [] and payhero.pushes() == []
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.student_id == learner.id))
    assert enrollment.status == EnrollmentStatus.ACTIVE and uses("KARIBU20") == 1
    [redemption] = db.session.scalars(select(CouponRedemption))
    assert redemption.payment_id is None and redemption.amount_off == Decimal("1500")


@pytest.mark.parametrize("values, message", [
    ({"expires_at": utcnow() - timedelta(minutes=1)}, "has expired"),
    ({"max_uses": 1, "uses": 1}, "used as many times"),
])
def test_an_expired_or_used_up_coupon_is_refused_and_nothing_is_pushed(client, login, make, paid_course, payhero,
                                                                       values, message):
    coupon(**values)
    login(make.user())
    response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678", "coupon": "KARIBU20"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert payments() == [] and payhero.pushes() == []


def test_a_coupon_for_another_course_is_refused(client, login, make, paid_course):
    coupon(course=make.course(price=900))
    login(make.user())
    response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": "0712345678", "coupon": "KARIBU20"})
    assert response.status_code == 422 and "for another course" in response.get_data(as_text=True)


def test_uses_per_learner_are_limited(client, login, make, payhero):
    coupon(value="10", per_learner=1)
    learner = login(make.user())
    first, second = make.course(price=1000), make.course(price=1000)
    assert client.post(f"/courses/{first.slug}/checkout", data={"phone": "0712345678", "coupon": "KARIBU20"}).status_code == 303
    refused = client.post(f"/courses/{second.slug}/checkout", data={"phone": "0712345678", "coupon": "KARIBU20"})
    assert refused.status_code == 409 and "already used this coupon" in refused.get_data(as_text=True)
    assert [p.amount for p in payments()] == [Decimal("900")] and uses("KARIBU20") == 1
    assert learner.id


def test_a_failed_payment_gives_its_use_back_and_a_late_success_takes_it_again(checkout, payhero, client):
    coupon(max_uses=1)
    payment = checkout(coupon="KARIBU20")
    assert uses("KARIBU20") == 1
    cancelled = payhero.settle(payment.provider_reference, result_code=1032, desc="Request cancelled by user")
    assert client.post(callback_path(), json=cancelled).status_code == 200
    assert client.post(callback_path(), json=cancelled).status_code == 200  # a duplicate gives nothing back twice
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).status == PaymentStatus.CANCELLED
    assert uses("KARIBU20") == 0
    from mwanzo.payments.services import mark_paid
    mark_paid(db.session.get(Payment, payment.id), "SKQ96C7K7H")
    db.session.commit()
    assert uses("KARIBU20") == 1


def test_concurrent_checkouts_never_exceed_the_total_uses(app, make):
    """Eight learners race for a coupon with three uses: exactly three payments carry it."""
    course = make.course(price=Decimal("1000"))
    coupon(value="50", max_uses=3)
    learners = [make.user() for _ in range(8)]
    from mwanzo.payments.services import start_checkout
    from mwanzo.auth.models import User
    from mwanzo.courses.models import Course
    ids = iter([learner.id for learner in learners])

    def work(barrier):
        learner_id = next(ids)
        student, row = db.session.get(User, learner_id), db.session.get(Course, course.id)
        barrier.wait()
        try:
            start_checkout(student, row, "254712345678", "KARIBU20")
            db.session.commit()
        except coupons.CouponRefused:
            db.session.rollback()

    assert run_together(app, work, 8) == []
    assert uses("KARIBU20") == 3
    assert db.session.scalar(select(func.count()).select_from(CouponRedemption)) == 3
    assert sorted(p.amount for p in payments()) == [Decimal("500")] * 3


@pytest.mark.postgres
def test_concurrent_checkouts_never_exceed_the_total_uses_on_postgresql(postgres, app, make):
    test_concurrent_checkouts_never_exceed_the_total_uses(app, make)


def test_instructors_make_coupons_for_their_own_courses_only(client, make, login):
    instructor = login(make.user(role=Role.INSTRUCTOR, is_email_verified=True))
    mine = make.course(instructor_id=instructor.id, title="My bakery course")
    theirs = make.course(title="Someone else's")
    form = {"code": "mkate-10", "kind": "PERCENT", "value": "10", "per_learner": "1"}
    assert client.post("/studio/coupons", data={**form, "course": str(theirs.id)}).status_code == 422
    assert client.post("/studio/coupons", data=form).status_code == 422  # an instructor must pick a course
    assert client.post("/studio/coupons", data={**form, "course": str(mine.id)}).status_code == 303
    db.session.expire_all()
    [made] = db.session.scalars(select(Coupon))
    assert (made.code, made.course_id, made.kind) == ("MKATE-10", mine.id, CouponKind.PERCENT)
    assert db.session.scalar(select(AuditLog.action)) == "coupon.created"
    page = client.get("/studio/coupons").get_data(as_text=True)
    assert 'data-coupon="MKATE-10"' in page and "My bakery course" in page
    assert client.post("/studio/coupons", data={**form, "course": str(mine.id)}).status_code == 422  # code taken


def test_admins_make_coupons_for_every_course(client, make, login):
    login(make.user(role=Role.ADMIN))
    response = post_confirmed(client, "/admin/coupons", code="WIKI-YA-ELIMU", kind="FIXED", value="200",
                              max_uses="100", per_learner="1", expires_on="2030-01-31")
    assert response.status_code == 303
    db.session.expire_all()
    [made] = db.session.scalars(select(Coupon))
    assert made.course_id is None and made.max_uses == 100 and made.expires_at.date().isoformat() == "2030-01-31"
    over = post_confirmed(client, "/admin/coupons", code="TOO-MUCH", kind="PERCENT", value="120", per_learner="1")
    assert over.status_code == 422 and "at most 100" in over.get_data(as_text=True)


def test_an_admins_coupon_needs_the_token_only_the_page_itself_shows(client, make, login):
    """A free-for-all coupon is money: markup that can send the CSRF header still cannot make one."""
    login(make.user(role=Role.ADMIN))
    free = {"code": "BURE", "kind": "PERCENT", "value": "100", "per_learner": "1"}
    assert client.post("/admin/coupons", data=free).status_code == 400
    assert client.get("/admin/coupons", headers={"HX-Request": "true"}).status_code == 400
    assert db.session.scalar(select(Coupon)) is None


@pytest.mark.parametrize("role", [Role.STUDENT, Role.EMPLOYER])
def test_learners_and_employers_cannot_make_coupons(client, make, login, role):
    login(make.user(role=role))
    for url in ("/studio/coupons", "/admin/coupons"):
        assert client.post(url, data={"code": "FREE", "kind": "PERCENT", "value": "100", "per_learner": "1"}).status_code == 403
    assert db.session.scalar(select(Coupon)) is None
