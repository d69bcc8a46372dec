"""SMS providers: Africa's Talking's REST API (the real one) and the console (the embedded default).

Africa's Talking facts this client relies on (its documented protocol):
- POST {base}/version1/messaging, form-encoded ``username``, ``to`` (+254…), ``message`` and optionally
  ``from`` (the registered sender id); headers ``apiKey`` and ``Accept: application/json``.
- Success is HTTP 201 with ``SMSMessageData.Recipients[]``; each recipient's numeric ``statusCode`` decides:
  100, 101 and 102 mean accepted (not delivered). 402 (sender id), 405 (balance) and 500-502 are worth
  retrying; the other codes (blacklisted, bad number...) are final. No recipient at all means the request
  itself was refused (an unregistered sender id). 401 with a plain-text body means bad credentials.
- There is no idempotency key for SMS: after a timeout the message may still go out, so it is never
  resent automatically (``timed_out``).
"""
from __future__ import annotations

import json
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

LIVE_BASE_URL = "https://api.africastalking.com"
SANDBOX_BASE_URL = "https://api.sandbox.africastalking.com"
ACCEPTED_CODES = {100, 101, 102}
RETRYABLE_CODES = {402, 405, 500, 501, 502}


class SendError(Exception):
    """The provider did not take the message. ``retryable``: trying again later may work;
    ``timed_out``: we cannot tell whether it went out."""

    def __init__(self, message: str, retryable: bool = False, timed_out: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.timed_out = timed_out
        self.status_code = status_code


@dataclass(frozen=True)
class SendResult:
    message_id: str
    status_code: int
    cost: str | None = None


class Provider(Protocol):
    name: str

    def send(self, phone: str, message: str) -> SendResult: ...


def international(phone: str) -> str:
    """2547XXXXXXXX → +2547XXXXXXXX, the form Africa's Talking requires."""
    return phone if phone.startswith("+") else "+" + phone


class ConsoleProvider:
    """Prints each message to standard output: development and tests, where no phone should ring."""

    name = "console"

    def send(self, phone: str, message: str) -> SendResult:
        print(f"----- sms to {international(phone)}\n{message}\n-----", file=sys.stdout, flush=True)
        return SendResult(message_id=f"console-{uuid.uuid4().hex}", status_code=101)


class AfricasTalkingProvider:
    name = "africastalking"

    def __init__(self, base_url: str, username: str, api_key: str, sender_id: str | None = None,
                 timeout: float = 10.0):
        self.url = base_url.rstrip("/") + "/version1/messaging"
        self.username = username
        self.api_key = api_key
        self.sender_id = sender_id
        self.timeout = timeout

    @classmethod
    def from_config(cls, config) -> AfricasTalkingProvider:
        username = config["AT_USERNAME"] or ""
        base_url = config["AT_BASE_URL"] or (SANDBOX_BASE_URL if username == "sandbox" else LIVE_BASE_URL)
        return cls(base_url, username, config["AT_API_KEY"] or "", config["AT_SENDER_ID"],
                   float(config["AT_TIMEOUT_SECONDS"]))

    def form(self, phone: str, message: str) -> dict[str, str]:
        form = {"username": self.username, "to": international(phone), "message": message}
        if self.sender_id:
            form["from"] = self.sender_id
        return form

    def send(self, phone: str, message: str) -> SendResult:
        data = urllib.parse.urlencode(self.form(phone, message)).encode()
        request = urllib.request.Request(self.url, data=data, method="POST", headers={
            "apiKey": self.api_key, "Accept": "application/json",
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read()
        except (TimeoutError, socket.timeout) as exc:
            raise SendError("Africa's Talking did not answer in time.", timed_out=True) from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise SendError("Africa's Talking did not answer in time.", timed_out=True) from exc
            raise SendError(f"Could not reach Africa's Talking: {exc.reason}", retryable=True) from exc
        return read_response(status, body)


def read_response(status: int, body: bytes) -> SendResult:
    """Judge the one recipient by its statusCode, whatever the HTTP status (failures may carry a body too)."""
    data = _json(body)
    recipients = (data.get("SMSMessageData") or {}).get("Recipients") if isinstance(data, dict) else None
    if not recipients:
        text = body[:300].decode("utf-8", "replace")
        summary = ((data.get("SMSMessageData") or {}).get("Message") if isinstance(data, dict) else None) or text
        # 401 (credentials), an unregistered sender id or AT's own trouble: operators can fix these.
        raise SendError(f"HTTP {status}: {summary}", retryable=status == 401 or status >= 500 or bool(data))
    recipient = recipients[0] if isinstance(recipients[0], dict) else {}
    try:
        code = int(recipient.get("statusCode"))
    except (TypeError, ValueError):
        raise SendError(f"HTTP {status}: unreadable recipient {str(recipient)[:200]}", retryable=False) from None
    message_id = str(recipient.get("messageId") or "")
    if code in ACCEPTED_CODES and message_id and message_id != "None":
        return SendResult(message_id=message_id, status_code=code, cost=_text(recipient.get("cost")))
    raise SendError(f"{code} {recipient.get('status') or ''}".strip(), retryable=code in RETRYABLE_CODES,
                    status_code=code)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)[:30]


def provider_from_config(config) -> Provider:
    name = config["SMS_PROVIDER"]
    if name == "console":
        return ConsoleProvider()
    if name == "africastalking":
        return AfricasTalkingProvider.from_config(config)
    raise ValueError(f"unknown SMS_PROVIDER {name!r}")
