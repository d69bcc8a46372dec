"""The embedded sandbox provider: its phone page, callbacks over HTTP, status queries, refusal in production."""
from urllib.error import URLError

import pytest
from sqlalchemy import select, update

from mwanzo import create_app
from mwanzo.config import InsecureConfiguration
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.payments import tasks
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from mwanzo.payments.sandbox import SandboxProvider, SandboxRefused
from tests.emails import emails_to


@pytest.fixture
def reachable(app, live_server, settings):
    """Sandbox callbacks go to PUBLIC_BASE_URL: point it at the running app."""
    settings(PUBLIC_BASE_URL=live_server)
    yield


def reloaded(payment):
    db.session.expire_all()
    return db.session.get(Payment, payment.id)


def test_paying_on_the_sandbox_phone_settles_through_the_real_webhook(client, checkout, reachable):
    payment = checkout()
    assert payment.provider == "sandbox" and payment.provider_reference.startswith("SBX")
    status_page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert f"/payments/{payment.id}/sandbox-phone" in status_page
    phone = client.get(f"/payments/{payment.id}/sandbox-phone").get_data(as_text=True)
    assert "KES 1,500" in phone and all(f'value="{a}"' in phone for a in ("pay", "cancel", "wrong_pin", "no_answer"))
    response = client.post(f"/payments/{payment.id}/sandbox-phone", data={"action": "pay"})
    assert response.status_code == 303 and response.location.endswith(f"/payments/{payment.id}")
    payment = reloaded(payment)
    assert payment.status == PaymentStatus.SUCCESS and payment.mpesa_receipt
    kinds = list(db.session.scalars(select(PaymentEvent.kind).where(PaymentEvent.payment_id == payment.id)
                                    .order_by(PaymentEvent.created_at)))
    assert kinds == ["created", "push", "sandbox_phone", "callback", "status_query", "settled"]
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.ACTIVE
    assert len(emails_to("njeri@example.com", "payment_receipt")) == 1
    assert client.post(f"/payments/{payment.id}/sandbox-phone", data={"action": "pay"}).status_code == 303
    assert len(emails_to("njeri@example.com", "payment_receipt")) == 1


@pytest.mark.parametrize("action, message", [
    ("cancel", "You cancelled the M-Pesa request."),
    ("wrong_pin", "The M-Pesa PIN was wrong."),
    ("no_answer", "We could not reach your phone"),
])
def test_the_other_sandbox_answers_fail_with_their_message(client, checkout, reachable, action, message):
    payment = checkout()
    client.post(f"/payments/{payment.id}/sandbox-phone", data={"action": action})
    assert message in client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert db.session.get(Enrollment, payment.enrollment_id).status == EnrollmentStatus.PENDING_PAYMENT


def test_the_sandbox_answers_status_queries_when_its_callback_is_lost(client, checkout):
    payment = checkout()
    with pytest.raises(URLError):  # PUBLIC_BASE_URL points nowhere here: the callback job fails
        client.post(f"/payments/{payment.id}/sandbox-phone", data={"action": "pay"})
    assert reloaded(payment).status == PaymentStatus.PENDING
    db.session.execute(update(Payment).values(created_at=utcnow().replace(year=2025), next_check_at=None))
    db.session.commit()
    tasks.reconcile_payments()
    assert reloaded(payment).status == PaymentStatus.SUCCESS


def test_unknown_sandbox_actions_are_refused(client, checkout):
    payment = checkout()
    assert client.post(f"/payments/{payment.id}/sandbox-phone", data={"action": "steal"}).status_code == 400


def test_the_sandbox_is_refused_in_production(client, checkout, app, settings):
    payment = checkout()
    settings(MWANZO_ENV="production")
    assert client.get(f"/payments/{payment.id}/sandbox-phone").status_code == 404
    with pytest.raises(SandboxRefused):
        SandboxProvider()
    assert "sandbox-phone" not in client.get(f"/payments/{payment.id}").get_data(as_text=True)
    with pytest.raises(InsecureConfiguration, match="sandbox"):
        create_app({"MWANZO_ENV": "production", "SECRET_KEY": "x" * 40, "PAYMENT_PROVIDER": "sandbox"})


def test_the_sandbox_phone_belongs_to_the_payer(client, checkout, make, login):
    payment = checkout()
    login(make.user(email="else@example.com"))
    assert client.get(f"/payments/{payment.id}/sandbox-phone").status_code == 404
