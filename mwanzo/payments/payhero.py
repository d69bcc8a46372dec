"""PayHero's HTTP API (M-Pesa STK push and transaction status), with the standard library only.

Facts and uncertainties: /work/shared/reference/payhero.md. What this client assumes:
- Basic auth from PAYHERO_API_USERNAME/PASSWORD; a dashboard token pasted whole ("Basic xyz")
  into PAYHERO_API_USERNAME with no password is accepted too.
- Success is any 2xx whose JSON says success and carries a `reference`; a 2xx with
  `success: false` is a rejection, its reason in `error_message` (or `message`/`error`).
- A timeout, or a connection dropped after the request went out, is reported as such (``timed_out``):
  PayHero may have accepted it (the prompt may reach the phone, the withdrawal may be paid), so the caller
  never sends it again by itself. Only a connection never made is a plain refusal.
"""
from __future__ import annotations

import base64
import http.client
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol


class PushError(Exception):
    """The STK push was not accepted (or we cannot tell, when ``timed_out``)."""

    def __init__(self, message: str, raw: Any = None, timed_out: bool = False):
        super().__init__(message)
        self.message = message
        self.raw = raw
        self.timed_out = timed_out


class StatusUnavailable(Exception):
    """The status query failed; the payment's state is unknown, so nothing is settled."""


@dataclass(frozen=True)
class PushResult:
    reference: str
    checkout_request_id: str | None
    raw: dict


@dataclass(frozen=True)
class StatusResult:
    status: str  # QUEUED, SUCCESS, FAILED (anything else is treated as not final)
    receipt: str | None = None
    amount: Decimal | None = None
    result_code: str | None = None
    description: str | None = None
    raw: dict = field(default_factory=dict)


class Provider(Protocol):
    name: str

    def start_push(self, *, amount: int, phone: str, external_reference: str, customer_name: str,
                   callback_url: str) -> PushResult: ...

    def transaction_status(self, reference: str) -> StatusResult: ...


def to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def local_phone(canonical: str) -> str:
    """2547XXXXXXXX → 07XXXXXXXX, the form PayHero's documentation shows."""
    return "0" + canonical[3:] if canonical.startswith("254") else canonical


def read_push_response(data: Any) -> PushResult:
    if not isinstance(data, dict) or data.get("success") is False or not data.get("reference"):
        raise PushError(rejection_reason(data), raw=data)
    return PushResult(str(data["reference"]), data.get("CheckoutRequestID") or None, data)


def read_status_response(data: Any) -> StatusResult:
    if not isinstance(data, dict) or not data.get("status"):
        raise StatusUnavailable(f"unexpected status response: {str(data)[:200]}")
    code = data.get("ResultCode", data.get("result_code"))
    return StatusResult(
        status=str(data["status"]).upper(),
        receipt=data.get("provider_reference") or data.get("third_party_reference") or data.get("MpesaReceiptNumber") or None,
        amount=to_decimal(data.get("amount", data.get("Amount"))),
        result_code=None if code is None else str(code),
        description=data.get("ResultDesc") or data.get("message") or None,
        raw=data,
    )


def rejection_reason(data: Any) -> str:
    if isinstance(data, dict):
        for key in ("error_message", "message", "error", "ResultDesc"):
            if data.get(key):
                return str(data[key])[:500]
    return "PayHero did not accept the payment request."


class PayHeroClient:
    name = "payhero"

    def __init__(self, base_url: str, username: str | None, password: str | None, channel_id: str | int | None,
                 timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.channel_id = int(channel_id) if channel_id not in (None, "") else None
        self.timeout = timeout
        self.authorization = self.basic_header(username or "", password or "")

    @classmethod
    def from_config(cls, config) -> PayHeroClient:
        return cls(config["PAYHERO_BASE_URL"], config["PAYHERO_API_USERNAME"], config["PAYHERO_API_PASSWORD"],
                   config["PAYHERO_CHANNEL_ID"], float(config.get("PAYHERO_TIMEOUT_SECONDS", 15)))

    @staticmethod
    def basic_header(username: str, password: str) -> str:
        if not password and username.lower().startswith("basic "):
            return "Basic " + username[6:].strip()
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def push_body(self, *, amount: int, phone: str, external_reference: str, customer_name: str,
                  callback_url: str) -> dict:
        return {
            "amount": int(amount),
            "phone_number": local_phone(phone),
            "channel_id": self.channel_id,
            "provider": "m-pesa",
            "external_reference": external_reference,
            "customer_name": customer_name,
            "callback_url": callback_url,
        }

    def start_push(self, **values) -> PushResult:
        return self.post_for_push("/api/v2/payments", self.push_body(**values))

    def post_for_push(self, path: str, body: dict) -> PushResult:
        """POST a payment or a withdrawal; no answer in time is an unknown outcome, a refusal a PushError."""
        try:
            status, data = self.request("POST", path, body=body)
        except TimeoutError as exc:
            raise PushError("PayHero did not answer in time.", timed_out=True) from exc
        except OSError as exc:
            raise PushError(f"Could not reach PayHero: {exc}") from exc
        if not 200 <= status < 300:
            raise PushError(rejection_reason(data), raw=data)
        return read_push_response(data)

    def withdraw(self, *, amount: int, phone: str, external_reference: str, callback_url: str) -> PushResult:
        """B2C: send `amount` to an M-Pesa number (network 63902). Errors as for start_push."""
        body = {"amount": int(amount), "phone_number": local_phone(phone), "network_code": "63902",
                "external_reference": external_reference, "callback_url": callback_url, "channel": "mobile",
                "channel_id": self.channel_id, "payment_service": "b2c"}
        return self.post_for_push("/api/v2/withdraw", body)

    def transaction_status(self, reference: str) -> StatusResult:
        query = urllib.parse.urlencode({"reference": reference})
        try:
            status, data = self.request("GET", f"/api/v2/transaction-status?{query}")
        except OSError as exc:  # includes timeouts
            raise StatusUnavailable(f"status query failed: {exc}") from exc
        if not 200 <= status < 300:
            raise StatusUnavailable(f"status query answered HTTP {status}: {str(data)[:200]}")
        return read_status_response(data)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        headers = {"Authorization": self.authorization, "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return response.status, parse_json(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, parse_json(exc.read())
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise TimeoutError(str(exc.reason)) from exc
            raise
        except (ConnectionError, http.client.HTTPException) as exc:  # the request was sent, its answer lost
            raise TimeoutError(f"PayHero dropped the connection before answering: {exc!r}") from exc


def parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"null")
    except ValueError:
        return {"body": raw[:500].decode("utf-8", "replace")}
