"""Reading PayHero callbacks, whichever of the known shapes arrives.

1. PayHero legacy (documented, seen live): {"response": {ExternalReference, CheckoutRequestID,
   ResultCode, ResultDesc, Status, MpesaReceiptNumber, Amount, Phone, ...}, "status": bool}
2. PayHero new docs (flat, snake_case): {success, status, message, reference, external_reference,
   amount, provider_reference, ...}
3. Daraja passed through: {"Body": {"stkCallback": {CheckoutRequestID, ResultCode, ResultDesc,
   CallbackMetadata: {Item: [{Name, Value}, ...]}}}}

Success needs every signal of its shape (code 0 *and* the status word *and* a receipt). Even then
nothing is granted on the body alone: services confirm it with a status query.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mwanzo.payments.payhero import to_decimal


class UnreadableCallback(ValueError):
    pass


@dataclass(frozen=True)
class CallbackData:
    succeeded: bool
    external_reference: str | None = None
    checkout_request_id: str | None = None
    reference: str | None = None
    result_code: str | None = None
    result_desc: str | None = None
    receipt: str | None = None
    amount: Decimal | None = None
    phone: str | None = None


def text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def is_zero(code: Any) -> bool:
    return code is not None and not isinstance(code, bool) and str(code).strip() == "0"


def parse_callback(payload: Any) -> CallbackData:
    if not isinstance(payload, dict):
        raise UnreadableCallback("not a JSON object")
    if isinstance(payload.get("response"), dict):
        return _legacy(payload["response"])
    body = payload.get("Body")
    if isinstance(body, dict) and isinstance(body.get("stkCallback"), dict):
        return _daraja(body["stkCallback"])
    if payload.get("external_reference") or payload.get("reference"):
        return _flat(payload)
    raise UnreadableCallback("no known callback shape")


def _legacy(inner: dict) -> CallbackData:
    code, receipt = inner.get("ResultCode"), text(inner.get("MpesaReceiptNumber"))
    succeeded = is_zero(code) and str(inner.get("Status", "")).lower() == "success" and bool(receipt)
    return CallbackData(
        succeeded=succeeded,
        external_reference=text(inner.get("ExternalReference")),
        checkout_request_id=text(inner.get("CheckoutRequestID")),
        result_code=text(code),
        result_desc=text(inner.get("ResultDesc")),
        receipt=receipt,
        amount=to_decimal(inner.get("Amount")),
        phone=text(inner.get("Phone")),
    )


def _flat(payload: dict) -> CallbackData:
    receipt = text(payload.get("provider_reference"))
    succeeded = payload.get("success") is True and str(payload.get("status", "")).lower() == "success" and bool(receipt)
    return CallbackData(
        succeeded=succeeded,
        external_reference=text(payload.get("external_reference")),
        reference=text(payload.get("reference")),
        result_code="0" if succeeded else text(payload.get("result_code")),
        result_desc=text(payload.get("message")),
        receipt=receipt,
        amount=to_decimal(payload.get("amount")),
    )


def _daraja(stk: dict) -> CallbackData:
    items = (stk.get("CallbackMetadata") or {}).get("Item") or []
    meta = {item.get("Name"): item.get("Value") for item in items if isinstance(item, dict)}
    receipt = text(meta.get("MpesaReceiptNumber"))
    return CallbackData(
        succeeded=is_zero(stk.get("ResultCode")) and bool(receipt),
        checkout_request_id=text(stk.get("CheckoutRequestID")),
        result_code=text(stk.get("ResultCode")),
        result_desc=text(stk.get("ResultDesc")),
        receipt=receipt,
        amount=to_decimal(meta.get("Amount")),
        phone=text(meta.get("PhoneNumber")),
    )
