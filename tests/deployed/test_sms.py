"""Text messages as deployed: a sign-in code sent by the real worker to Africa's Talking (the local one), its
delivery report posted back through nginx and shown to admins, and expired codes removed by the
operator's retention command run with the deployment's own settings."""
from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import select

from mwanzo.auth.models import OneTimeCode, Role
from mwanzo.extensions import db
from mwanzo.sms.models import OutboundSms, SmsStatus
from tests import factories
from tests.deployed.conftest import ROOT, SMS_CALLBACK_TOKEN, form_post, visitor, wait_until
from tests.deployed.test_money import log_in
from tests.sms.fake_africastalking import FakeAfricasTalking

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]


def text_to(deployment, phone: str) -> dict:
    return wait_until(lambda: next((m for m in deployment.africastalking.sent() if m["to"] == "+" + phone), None),
                      30, f"a text to +{phone} at Africa's Talking")


def test_a_sign_in_code_is_texted_by_the_worker_and_its_delivery_report_reaches_the_admins(
        deployment, browser_session):
    phone = "254722000333"
    with deployment.app_context():
        factories.user(name="Achieng Otieno", phone=phone, is_phone_verified=True, email=None,
                       is_email_verified=False)
        admin_email = factories.user(role=Role.ADMIN, name="Amina Admin", email="amina.sms@example.com").email
    asked = form_post(browser_session, f"{deployment.url}/login/phone", {"phone": "0722 000 333"},
                      allow_redirects=False)
    assert asked.status_code == 303 and asked.headers["Location"] == "/login/phone/code", asked.text[:500]

    sent = text_to(deployment, phone)
    assert "is your sign-in code" in sent["message"] and sent["from"] == "MWANZO"
    reported = visitor(deployment).post(f"{deployment.url}/api/v1/sms/delivery-reports/{SMS_CALLBACK_TOKEN}",
                                        data=FakeAfricasTalking.report(sent["id"], "Success"), timeout=30)
    assert reported.status_code == 200
    with deployment.app_context():
        sms = db.session.scalar(select(OutboundSms).where(OutboundSms.provider_message_id == sent["id"]))
        assert (sms.status, sms.delivery_status, sms.provider) == (SmsStatus.DELIVERED, "Success", "africastalking")

    with visitor(deployment) as admin:
        log_in(deployment, admin, admin_email)
        listed = admin.get(f"{deployment.url}/admin/sms", timeout=30).text
        row = listed[listed.index(f'data-sms="{sms.id}"'):]
        assert "DELIVERED" in row[:row.index("</tr>")]


def test_the_operators_retention_command_removes_an_expired_sign_in_code(deployment, browser_session):
    phone = "254722000444"
    form_post(browser_session, f"{deployment.url}/login/phone", {"phone": "0722 000 444"}, allow_redirects=False)
    text_to(deployment, phone)
    with deployment.app_context():
        code = db.session.scalar(select(OneTimeCode).where(OneTimeCode.phone == phone))
        code.created_at -= timedelta(days=2)  # past OTP_RETENTION_DAYS (1)
        code.expires_at -= timedelta(days=2)
        db.session.commit()
        code_id = code.id

    result = subprocess.run(["flask", "--app", "wsgi", "retention"], cwd=ROOT, env=deployment.environment,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "codes=" in result.stdout and "codes=0" not in result.stdout
    with deployment.app_context():
        db.session.expire_all()
        assert db.session.get(OneTimeCode, code_id) is None
