"""Duplicate callbacks settled by several workers at the same instant, on PostgreSQL: one
enrolment, one receipt, and no worker ever fails (a deadlock would surface as DeadlockDetected)."""
import pytest
from sqlalchemy import func, select

from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments import tasks
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from tests.concurrency import run_together
from tests.emails import emails_to

ROUNDS = 12
WORKERS = 4


def stored_callbacks(payment: Payment, body: dict, count: int) -> list[str]:
    """The same callback received `count` times, each stored and waiting for its settle job."""
    events = [PaymentEvent(payment_id=payment.id, kind="callback", payload=body) for _ in range(count)]
    db.session.add_all(events)
    db.session.commit()
    return [str(event.id) for event in events]


@pytest.mark.postgres
def test_duplicate_callbacks_settled_at_once_by_several_workers_never_deadlock(postgres, app, checkout, payhero,
                                                                            make, paid_course):
    for round_number in range(ROUNDS):
        email = f"learner{round_number}@example.com"
        payment = checkout(learner=make.user(email=email))
        event_ids = stored_callbacks(payment, payhero.settle(payment.provider_reference), WORKERS)

        def settle(barrier, ids=iter(event_ids)):
            event_id = next(ids)
            barrier.wait()
            tasks.settle_callback(event_id)

        errors = run_together(app, settle, WORKERS)
        assert errors == [], f"round {round_number}: {errors!r}"
        db.session.expire_all()
        payment = db.session.get(Payment, payment.id)
        assert payment.status == PaymentStatus.SUCCESS and payment.mpesa_receipt
        assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.ACTIVE
        settled = db.session.scalar(select(func.count()).select_from(PaymentEvent).where(
            PaymentEvent.payment_id == payment.id, PaymentEvent.kind == "settled"))
        assert settled == 1
        assert len(emails_to(email, "payment_receipt")) == 1
    assert db.session.get(Course, paid_course.id).enrollment_count == ROUNDS
