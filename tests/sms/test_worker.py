"""A sign-in code asked for on the web is sent by the real worker process, through Redis, once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.sms.models import OutboundSms, SmsStatus
from tests.payments.conftest import payhero  # noqa: F401  (production settings need a real payment provider)
from tests.processes import Pipeline


@pytest.fixture
def pipeline(app, postgres, redis_url, tmp_path, settings):
    running = Pipeline(app, postgres, redis_url, tmp_path, settings)
    yield running
    running.stop()


@pytest.mark.postgres
@pytest.mark.redis
def test_the_worker_sends_a_sign_in_code_through_africastalking_once(pipeline, payhero, africastalking, client):
    pipeline.start("worker")
    assert client.post("/login/phone", data={"phone": "0712 345 678"}).status_code == 303

    def accepted() -> bool:
        db.session.rollback()  # see what the worker committed
        sms = db.session.scalar(select(OutboundSms))
        return sms is not None and sms.status == SmsStatus.ACCEPTED

    pipeline.wait_for(accepted)
    [sent] = africastalking.sent()
    assert sent["to"] == "+254712345678" and "sign-in code" in sent["message"]
    assert db.session.scalar(select(OutboundSms)).provider_message_id == sent["id"]
