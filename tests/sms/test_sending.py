"""Text messages go out once, in the recipient's language, through Africa's Talking's real protocol."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from mwanzo import jobs
from mwanzo.extensions import db
from mwanzo.sms import gsm
from mwanzo.sms.models import OutboundSms, SmsStatus
from mwanzo.sms.providers import SendError
from mwanzo.sms.services import render_sms, send_sms
from mwanzo.sms.tasks import deliver_sms

PHONE = "254712345678"


def send(template="one_time_code", locale="en", **context):
    context = {"code": "123456", "minutes": 10, "purpose": "sign-in"} | context
    sms = send_sms(PHONE, template, locale=locale, **context)
    db.session.commit()
    return db.session.get(OutboundSms, sms.id)


def test_a_code_goes_to_africastalking_in_the_learners_language(africastalking):
    sms = send(locale="sw")
    assert sms.status == SmsStatus.ACCEPTED
    [sent] = africastalking.sent()
    assert sent["to"] == "+254712345678" and sent["from"] == "MWANZO" and sent["username"] == "sandbox"
    assert "123456" in sent["message"] and "dakika 10" in sent["message"]
    assert sms.provider_message_id == sent["id"] and sms.cost == "KES 0.8000"
    headers = africastalking.requests[0]["headers"]
    assert headers["Accept"] == "application/json"


def test_running_the_job_again_sends_nothing_more(africastalking):
    sms = send()
    jobs.run_task("mwanzo.sms.tasks.deliver_sms", str(sms.id))
    deliver_sms(str(sms.id))
    assert len(africastalking.sent()) == 1


def test_a_dedupe_key_records_and_sends_a_message_once(africastalking):
    for _ in range(2):
        send_sms(PHONE, "one_time_code", locale="en", dedupe_key="receipt:1", code="1", minutes=10, purpose="x")
        db.session.commit()
    assert db.session.scalar(select(db.func.count()).select_from(OutboundSms)) == 1
    assert len(africastalking.sent()) == 1


def test_a_refusal_worth_retrying_is_retried_then_sent(africastalking):
    africastalking.mode = "no_balance"
    with pytest.raises(SendError):
        send()
    sms = db.session.scalar(select(OutboundSms))
    assert sms.status == SmsStatus.QUEUED and sms.provider_status_code == 405
    africastalking.mode = "ok"
    deliver_sms(str(sms.id))  # the runner's retry
    db.session.refresh(sms)
    assert sms.status == SmsStatus.ACCEPTED and sms.attempts == 2
    assert len(africastalking.sent()) == 1


def test_retries_stop_at_the_configured_attempts(africastalking, app):
    africastalking.mode = "gateway_error"
    with pytest.raises(SendError):
        send()
    sms = db.session.scalar(select(OutboundSms))
    for _ in range(app.config["SMS_MAX_ATTEMPTS"] - 2):
        with pytest.raises(SendError):
            deliver_sms(str(sms.id))
    assert deliver_sms(str(sms.id)) == "FAILED"
    assert deliver_sms(str(sms.id)) == "FAILED"
    assert len(africastalking.requests) == app.config["SMS_MAX_ATTEMPTS"]


@pytest.mark.parametrize("mode", ["blacklisted", "invalid_sender"])
def test_a_final_refusal_fails_without_retrying_when_it_cannot_succeed(africastalking, mode):
    africastalking.mode = mode
    if mode == "invalid_sender":  # the operator can fix a sender id: retried
        with pytest.raises(SendError):
            send()
        return
    sms = send()
    assert sms.status == SmsStatus.FAILED and sms.provider_status_code == 406
    assert "UserInBlacklist" in sms.last_error


def test_a_wrong_api_key_is_reported_and_retried(africastalking, app):
    app.config["AT_API_KEY"] = "wrong"
    with pytest.raises(SendError, match="401"):
        send()
    assert db.session.scalar(select(OutboundSms)).status == SmsStatus.QUEUED


def test_a_provider_that_does_not_answer_is_never_asked_twice(africastalking):
    africastalking.mode = "hang"
    sms = send()
    assert sms.status == SmsStatus.UNKNOWN
    deliver_sms(str(sms.id))
    assert len(africastalking.requests) == 1


def test_the_console_provider_is_the_default(app, capsys):
    assert app.config["SMS_PROVIDER"] == "console"
    sms = send()
    assert sms.status == SmsStatus.ACCEPTED
    assert "sms to +254712345678" in capsys.readouterr().out


@pytest.mark.parametrize("locale", ["en", "sw"])
@pytest.mark.parametrize("purpose", ["sign-in", "verify-phone", "reset", "re-auth"])
def test_codes_fit_one_gsm7_part_in_both_languages(app, locale, purpose):
    with app.test_request_context():
        text = render_sms("one_time_code", locale, code="123456", minutes=10, purpose=purpose)
    length = gsm.measure(text)
    assert (length.encoding, length.parts) == ("GSM-7", 1), text


def test_message_length_counts_gsm7_and_unicode():
    assert gsm.measure("a" * 160) == gsm.Length("GSM-7", 160, 1)
    assert gsm.measure("a" * 161).parts == 2
    assert gsm.measure("€" * 80) == gsm.Length("GSM-7", 160, 1)
    assert gsm.measure("ü✓" * 35) == gsm.Length("UCS-2", 70, 1)
    assert gsm.measure("✓" * 71).parts == 2
    assert gsm.plain_text("“Karibu” – it’s") == "\"Karibu\" - it's"
