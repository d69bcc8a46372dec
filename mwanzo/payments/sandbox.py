"""The embedded stand-in for PayHero (PAYMENT_PROVIDER=sandbox, never in production).

It answers the push and the status query with PayHero's documented JSON, and its "phone" is a
page (views.sandbox_phone) where the learner plays the PIN prompt: Pay, Cancel, Wrong PIN or No
answer. The answer is kept as a `sandbox_phone` PaymentEvent and then POSTed, in PayHero's
legacy callback shape, to the real webhook over HTTP — so the whole settle path runs for real.
"""
from __future__ import annotations

import json
import secrets
import urllib.request
import uuid

from flask import current_app
from sqlalchemy import select

from mwanzo import jobs
from mwanzo.extensions import db
from mwanzo.payments.models import Payment, PaymentEvent, PaymentStatus
from mwanzo.payments.payhero import (PushError, PushResult, StatusResult, local_phone, read_push_response,
                                     read_status_response)

PHONE_EVENT = "sandbox_phone"

# action → (ResultCode, ResultDesc); the descriptions M-Pesa sends for each.
ANSWERS = {
    "pay": (0, "The service request is processed successfully."),
    "cancel": (1032, "Request cancelled by user."),
    "wrong_pin": (2001, "The initiator information is invalid."),
    "no_answer": (1037, "DS timeout user cannot be reached."),
}


class SandboxRefused(RuntimeError):
    """The sandbox provider is not allowed in production."""


def sandbox_active() -> bool:
    config = current_app.config
    return config["PAYMENT_PROVIDER"] == "sandbox" and config["MWANZO_ENV"] != "production"


class SandboxProvider:
    name = "sandbox"

    def __init__(self) -> None:
        if not sandbox_active():
            raise SandboxRefused("the payment sandbox is refused in production")

    def start_push(self, *, amount: int, phone: str, external_reference: str, customer_name: str,
                   callback_url: str) -> PushResult:
        return read_push_response({
            "success": True, "status": "QUEUED", "reference": "SBX" + secrets.token_hex(5).upper(),
            "CheckoutRequestID": "ws_CO_SBX" + secrets.token_hex(8),
        })

    def withdraw(self, *, amount: int, phone: str, external_reference: str, callback_url: str) -> PushResult:
        raise PushError("The payment sandbox cannot send money; payouts need PAYMENT_PROVIDER=payhero.")

    def transaction_status(self, reference: str) -> StatusResult:
        answer = phone_answer(reference)
        inner = (answer.payload or {}).get("response", {}) if answer else {}
        if not answer:
            status = "QUEUED"
        else:
            status = "SUCCESS" if inner.get("ResultCode") == 0 else "FAILED"
        receipt = inner.get("MpesaReceiptNumber") or ""
        return read_status_response({
            "transaction_date": answer.created_at.isoformat() if answer else None, "provider": "m-pesa",
            "success": True, "merchant": "Mwanzo sandbox", "payment_reference": "",
            "third_party_reference": receipt, "status": status, "reference": reference,
            "CheckoutRequestID": "", "provider_reference": receipt,
            **({"ResultCode": inner.get("ResultCode"), "ResultDesc": inner.get("ResultDesc")} if answer else {}),
        })


def phone_answer(reference: str) -> PaymentEvent | None:
    return db.session.scalar(
        select(PaymentEvent).join(Payment, Payment.id == PaymentEvent.payment_id)
        .where(Payment.provider_reference == reference, PaymentEvent.kind == PHONE_EVENT)
        .order_by(PaymentEvent.created_at).limit(1)
    )


def answer_prompt(payment: Payment, action: str) -> PaymentEvent | None:
    """The learner's answer on the pretend phone; one answer per prompt (None if already answered)."""
    if action not in ANSWERS:
        raise ValueError(action)
    if payment.status != PaymentStatus.PENDING or phone_answer(payment.provider_reference) is not None:
        return None
    code, desc = ANSWERS[action]
    paid = code == 0
    payload = {
        "forward_url": "",
        "response": {
            "Amount": int(payment.amount),
            "CheckoutRequestID": payment.checkout_request_id,
            "ExternalReference": payment.external_reference,
            "MerchantRequestID": f"SBX-{secrets.token_hex(4)}",
            "MpesaReceiptNumber": ("S" + secrets.token_hex(5).upper()[:9]) if paid else "",
            "Phone": payment.phone_number,
            "ResultCode": code,
            "ResultDesc": desc,
            "Status": "Success" if paid else "Failed",
        },
        "status": paid,
    }
    event = PaymentEvent(payment_id=payment.id, kind=PHONE_EVENT, payload=payload,
                         note=f"sandbox phone: {action} (as {local_phone(payment.phone_number)})")
    db.session.add(event)
    db.session.flush()
    from mwanzo.payments.tasks import deliver_sandbox_callback

    jobs.enqueue(deliver_sandbox_callback, str(event.id))
    return event


def deliver_callback(event_id) -> int:
    """POST the stored answer to the webhook, as PayHero would; returns the HTTP status."""
    from mwanzo.payments.services import callback_url

    event = db.session.get(PaymentEvent, uuid.UUID(str(event_id)))
    request = urllib.request.Request(callback_url(), data=json.dumps(event.payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status
