"""Africa's Talking's delivery reports update each message's status, in order and idempotently."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.sms.models import OutboundSms, SmsDeliveryReport, SmsStatus
from mwanzo.sms.services import send_sms
from tests.sms.conftest import report_path
from tests.sms.fake_africastalking import FakeAfricasTalking


@pytest.fixture
def accepted(africastalking):
    sms = send_sms("254712345678", "one_time_code", locale="en", code="111111", minutes=10, purpose="sign-in")
    db.session.commit()
    return sms.id, africastalking.sent()[0]["id"]


def status_of(sms_id):
    db.session.expire_all()
    return db.session.get(OutboundSms, sms_id)


def test_success_marks_the_message_delivered_and_a_late_sent_does_not_undo_it(client, accepted):
    sms_id, message_id = accepted
    for status in ("Submitted", "Success", "Sent", "Failed"):
        assert client.post(report_path(), data=FakeAfricasTalking.report(message_id, status)).status_code == 200
    sms = status_of(sms_id)
    assert sms.status == SmsStatus.DELIVERED and sms.delivered_at is not None
    assert db.session.scalar(select(db.func.count()).select_from(SmsDeliveryReport)) == 4


def test_a_failure_report_records_the_reason(client, accepted):
    sms_id, message_id = accepted
    client.post(report_path(), data=FakeAfricasTalking.report(message_id, "Failed", "UserInBlackList"))
    sms = status_of(sms_id)
    assert (sms.status, sms.delivery_status, sms.failure_reason) == (SmsStatus.FAILED, "Failed", "UserInBlackList")


def test_an_unknown_status_word_is_kept_and_acknowledged(client, accepted):
    sms_id, message_id = accepted
    assert client.post(report_path(), data=FakeAfricasTalking.report(message_id, "Incomplete")).status_code == 200
    sms = status_of(sms_id)
    assert (sms.status, sms.delivery_status) == (SmsStatus.ACCEPTED, "Incomplete")


def test_a_report_for_a_message_we_never_sent_changes_nothing(client, accepted):
    response = client.post(report_path(), data=FakeAfricasTalking.report("ATXid_someone-else", "Success"))
    assert response.status_code == 200
    report = db.session.scalar(select(SmsDeliveryReport))
    assert report.matched is False and "ATXid_someone-else" in report.raw
    assert status_of(accepted[0]).status == SmsStatus.ACCEPTED


def test_the_callback_needs_its_secret_a_form_and_the_fields_every_report_has(client, accepted, csrf_enabled):
    _, message_id = accepted
    form = FakeAfricasTalking.report(message_id, "Success")
    assert client.post(report_path("wrong-token"), data=form).status_code == 404
    assert client.post(report_path(), json=form).status_code == 415
    assert client.post(report_path(), data={"status": "Success"}).status_code == 400
    assert client.post(report_path(), data={"id": message_id}).status_code == 400
    assert client.post(report_path(), data={"id": "x" * 81, "status": "Success"}).status_code == 400
    # CSRF does not apply: Africa's Talking cannot send a token.
    assert client.post(report_path(), data=form).status_code == 200


def test_admins_see_each_message_with_its_delivery_report(client, accepted, login, make):
    from mwanzo.auth.models import Role

    sms_id, message_id = accepted
    client.post(report_path(), data=FakeAfricasTalking.report(message_id, "Failed", "UserInBlacklist"))
    login(make.user(role=Role.ADMIN))
    page = client.get("/admin/sms").get_data(as_text=True)
    assert f'data-sms="{sms_id}"' in page and "+254712345678" in page
    assert "FAILED" in page and "UserInBlacklist" in page
    assert "111111" not in page  # the code itself is not shown
    login(make.user())
    assert client.get("/admin/sms").status_code == 403
