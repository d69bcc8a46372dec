from __future__ import annotations

import pytest

from tests.sms.fake_africastalking import FakeAfricasTalking

CALLBACK_TOKEN = "test-sms-callback-token-0123456789"


@pytest.fixture
def africastalking(settings):
    """The app configured for the real Africa's Talking client, pointed at a local fake."""
    fake = FakeAfricasTalking().start()
    settings(SMS_PROVIDER="africastalking", AT_USERNAME="sandbox", AT_API_KEY="at-test-key", AT_SENDER_ID="MWANZO",
             AT_BASE_URL=fake.url, AT_TIMEOUT_SECONDS=1, SMS_CALLBACK_TOKEN=CALLBACK_TOKEN)
    yield fake
    fake.stop()


def report_path(token: str = CALLBACK_TOKEN) -> str:
    return f"/api/v1/sms/delivery-reports/{token}"
