"""The retention job removes what README says it removes, and nothing younger."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from mwanzo import jobs
from mwanzo.auth.models import OneTimeCode, User
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.payments.models import PaymentEvent, PaymentStatus
from mwanzo.sms.models import SmsDeliveryReport


def test_the_retention_task_is_declared_periodic():
    assert "mwanzo.privacy.tasks.apply_retention" in {task.name for task in jobs.periodic_tasks()}


def test_retention_removes_stale_accounts_old_codes_and_raw_callbacks(make):
    old = utcnow() - timedelta(days=400)
    stale = make.user(is_email_verified=False, created_at=old).id
    fresh = make.user(is_email_verified=False)
    verified_old = make.user(created_at=old)
    paying = make.user(is_email_verified=False, created_at=old)
    payment = make.payment(make.enrollment(paying, make.course()), "100", PaymentStatus.SUCCESS)
    db.session.add_all([
        OneTimeCode(phone="254700000001", purpose="sign-in", code_hash="x" * 64, expires_at=old, created_at=old),
        OneTimeCode(phone="254700000002", purpose="sign-in", code_hash="y" * 64, expires_at=utcnow()),
        SmsDeliveryReport(provider_message_id="ATX1", status="Success", raw="id=ATX1", received_at=old),
        SmsDeliveryReport(provider_message_id="ATX2", status="Success", raw="id=ATX2"),
        PaymentEvent(payment_id=payment.id, kind="callback", payload={"Phone": "254712345678"}, created_at=old),
        PaymentEvent(payment_id=payment.id, kind="callback", payload={"Phone": "254712345678"}),
    ])
    db.session.commit()

    removed = jobs.run_task("mwanzo.privacy.tasks.apply_retention")

    assert removed["accounts"] == 1 and removed["codes"] == 1
    remaining = {u.id for u in db.session.scalars(select(User))}
    assert stale not in remaining and {fresh.id, verified_old.id, paying.id} <= remaining
    assert [c.phone for c in db.session.scalars(select(OneTimeCode))] == ["254700000002"]
    raws = {r.provider_message_id: r.raw for r in db.session.scalars(select(SmsDeliveryReport))}
    assert raws == {"ATX1": None, "ATX2": "id=ATX2"}
    payloads = sorted(str(e.payload) for e in db.session.scalars(select(PaymentEvent)))
    assert payloads == ["None", "{'Phone': '254712345678'}"]
