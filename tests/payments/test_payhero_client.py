"""The PayHero client and the callback reader, on the shapes the reference documents."""
import base64
from decimal import Decimal

import pytest

from mwanzo.payments.callbacks import UnreadableCallback, parse_callback
from mwanzo.payments.payhero import PayHeroClient, PushError, StatusUnavailable

DOC_SUCCESS = {
    "forward_url": "",
    "response": {
        "Amount": 10, "CheckoutRequestID": "ws_CO_14012024103543427709099876", "ExternalReference": "INV-009",
        "MerchantRequestID": "3202-70921557-1", "MpesaReceiptNumber": "SAE3YULR0Y", "Phone": "+254709099876",
        "ResultCode": 0, "ResultDesc": "The service request is processed successfully.", "Status": "Success",
    },
    "status": True,
}


def test_basic_auth_from_username_and_password_or_a_pasted_dashboard_token():
    expected = "Basic " + base64.b64encode(b"user:secret").decode()
    assert PayHeroClient.basic_header("user", "secret") == expected
    assert PayHeroClient.basic_header(expected, "") == expected
    assert PayHeroClient.basic_header("basic  " + expected[6:], "") == expected


def test_documented_success_callback():
    data = parse_callback(DOC_SUCCESS)
    assert data.succeeded and data.receipt == "SAE3YULR0Y" and data.amount == Decimal("10")
    assert (data.external_reference, data.checkout_request_id) == ("INV-009", "ws_CO_14012024103543427709099876")


def test_live_failure_callback_keeps_the_requested_amount_but_is_a_failure():
    failure = {"forward_url": "", "status": False, "response": {
        **DOC_SUCCESS["response"], "ResultCode": 1032, "ResultDesc": "Request cancelled by user.",
        "Status": "Failed", "MpesaReceiptNumber": "", "Phone": "254709099876"}}
    data = parse_callback(failure)
    assert not data.succeeded and data.result_code == "1032" and data.amount == Decimal("10")


@pytest.mark.parametrize("change", [{"Status": "Failed"}, {"ResultCode": 1}, {"MpesaReceiptNumber": ""},
                                    {"ResultCode": None}, {"ResultCode": True}])
def test_success_needs_code_zero_the_success_word_and_a_receipt(change):
    assert not parse_callback({**DOC_SUCCESS, "response": {**DOC_SUCCESS["response"], **change}}).succeeded


def test_daraja_shape_reads_metadata_by_name_and_float_amounts():
    body = {"Body": {"stkCallback": {
        "MerchantRequestID": "29115-34620561-1", "CheckoutRequestID": "ws_CO_191220191020363925", "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "CallbackMetadata": {"Item": [{"Name": "PhoneNumber", "Value": 254708374149}, {"Name": "Balance"},
                                      {"Name": "MpesaReceiptNumber", "Value": "NLJ7RT61SV"},
                                      {"Name": "Amount", "Value": 1.00}]}}}}
    data = parse_callback(body)
    assert data.succeeded and data.receipt == "NLJ7RT61SV" and data.amount == Decimal("1")


@pytest.mark.parametrize("payload", [[], "x", {}, {"response": "nested?"}, {"Body": {}}])
def test_unknown_shapes_are_unreadable(payload):
    with pytest.raises(UnreadableCallback):
        parse_callback(payload)


def test_status_of_an_unknown_reference_is_unavailable_not_a_guess(payhero):
    client = PayHeroClient(payhero.url, "api-user", "api-pass", 911)
    with pytest.raises(StatusUnavailable):
        client.transaction_status("NOPE")


def test_nothing_listening_is_a_push_error_not_a_crash():
    client = PayHeroClient("http://127.0.0.1:9", "u", "p", 1, timeout=1)
    with pytest.raises(PushError) as raised:
        client.start_push(amount=1, phone="254712345678", external_reference="X", customer_name="N", callback_url="u")
    assert not raised.value.timed_out
