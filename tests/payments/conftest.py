from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from mwanzo.extensions import db
from mwanzo.payments.models import Payment
from tests.payments.fake_payhero import FakePayHero

CALLBACK_TOKEN = "test-callback-token-0123456789"


@pytest.fixture
def payhero(app, settings):
    """The app configured for the real PayHero client, pointed at a local fake PayHero."""
    fake = FakePayHero().start()
    settings(PAYMENT_PROVIDER="payhero", PAYHERO_BASE_URL=fake.url, PAYHERO_API_USERNAME="api-user",
             PAYHERO_API_PASSWORD="api-pass", PAYHERO_CHANNEL_ID="911",
             PAYMENT_CALLBACK_TOKEN=CALLBACK_TOKEN, PAYHERO_TIMEOUT_SECONDS=5)
    yield fake
    fake.stop()


@pytest.fixture
def live_payhero(payhero, live_server, app, settings):
    """Fake PayHero whose callbacks reach the app over HTTP (the live server)."""
    settings(PUBLIC_BASE_URL=live_server)
    yield payhero


@pytest.fixture
def paid_course(make):
    return make.course(price=Decimal("1500"), title="Excel for Small Business")


@pytest.fixture
def checkout(client, login, make, paid_course):
    """checkout(phone=...) signs a learner in, checks out paid_course, returns the Payment."""

    def _checkout(phone: str = "0712345678", learner=None, **form):
        learner = learner or make.user(name="Njeri Wambui", email="njeri@example.com")
        login(learner)
        response = client.post(f"/courses/{paid_course.slug}/checkout", data={"phone": phone, **form})
        assert response.status_code == 303, response.get_data(as_text=True)
        db.session.expire_all()
        return db.session.scalar(select(Payment).where(Payment.student_id == learner.id)
                                 .order_by(Payment.created_at.desc()).limit(1))

    return _checkout


def callback_path(token: str = CALLBACK_TOKEN) -> str:
    return f"/api/v1/payments/callback/{token}"


