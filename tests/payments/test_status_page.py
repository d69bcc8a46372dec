"""The learner's payment status page: messages per outcome, HTMX polling that stops, owner only."""
import pytest

from tests.payments.conftest import callback_path


@pytest.mark.parametrize("code, desc, message", [
    (1032, "Request cancelled by user.", "You cancelled the M-Pesa request. No money was taken."),
    (2001, "The initiator information is invalid.", "The M-Pesa PIN was wrong. No money was taken."),
    (1, "The balance is insufficient for the transaction.", "Your M-Pesa balance is not enough for this payment."),
    (1037, "DS timeout user cannot be reached.", "We could not reach your phone, or the request timed out."),
    (1019, "Transaction has expired.", "We could not reach your phone, or the request timed out."),
    (17, "Rule limited.", "The payment did not go through: Rule limited."),
])
def test_each_result_code_has_its_own_message_and_a_try_again_button(client, checkout, payhero, code, desc, message):
    payment = checkout()
    assert client.post(callback_path(), json=payhero.settle(payment.provider_reference, code, desc)).status_code == 200
    page = client.get(f"/payments/{payment.id}").get_data(as_text=True)
    assert message in page and "Try again" in page
    assert "Start learning" not in page and "hx-trigger" not in page


def test_pending_then_success_polling_fragment_stops_on_the_final_state(client, checkout, payhero):
    payment = checkout()
    page = client.get(f"/payments/{payment.id}")
    html = page.get_data(as_text=True)
    assert "Check your phone and enter your M-Pesa PIN" in html
    assert '<meta http-equiv="refresh" content="3">' in html and "<noscript>" in html  # no-JS polling
    assert 'hx-trigger="every 3s"' in html and "HX-Request" in page.headers["Vary"]

    fragment = client.get(f"/payments/{payment.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="payment-status"') and "<html" not in fragment
    assert 'hx-trigger="every 3s"' in fragment

    body = payhero.settle(payment.provider_reference)
    client.post(callback_path(), json=body)
    final = client.get(f"/payments/{payment.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "hx-trigger" not in final and "hx-get" not in final
    assert body["response"]["MpesaReceiptNumber"] in final
    assert f'href="/learn/{payment.course.slug}"' in final and "Start learning" in final
    assert 'http-equiv="refresh"' not in client.get(f"/payments/{payment.id}").get_data(as_text=True)


def test_only_the_owner_sees_a_payment(client, checkout, make, login):
    payment = checkout()
    login(make.user(email="someone@example.com"))
    assert client.get(f"/payments/{payment.id}").status_code == 404
    assert client.get(f"/payments/{payment.id}/receipt").status_code == 404
