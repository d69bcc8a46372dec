"""A local stand-in for Africa's Talking's SMS API, for testing the real client over real HTTP.

Implements what the reference documents: POST /version1/messaging, form-encoded username, to (+254…),
message and optional from, authenticated by the ``apiKey`` header; answers 201 with
{"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [{statusCode, number,
status, cost, messageId}]}}, or 401 with a plain-text body for a wrong key. ``mode`` plays the other
documented outcomes. ``report(message_id, status)`` is the delivery report Africa's Talking would POST.
"""
from __future__ import annotations

import json
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.servers import LoopbackHTTPServer

OUTCOMES = {  # mode → (HTTP status, statusCode, status word)
    "ok": (201, 101, "Success"),
    "blacklisted": (201, 406, "UserInBlacklist"),
    "no_balance": (201, 405, "InsufficientBalance"),
    "gateway_error": (500, 501, "GatewayError"),
}


class FakeAfricasTalking(LoopbackHTTPServer):
    def __init__(self, username: str = "sandbox", api_key: str = "at-test-key"):
        self.username = username
        self.api_key = api_key
        self.requests: list[dict] = []
        self.mode = "ok"  # a key of OUTCOMES, "unauthorized", "invalid_sender" or "hang"
        self.hang_seconds = 3.0
        super().__init__(Handler)

    def sent(self) -> list[dict]:
        """The messages accepted for delivery: {to, message, from, id}."""
        return [r["form"] | {"id": r["id"]} for r in self.requests if r.get("id")]

    @staticmethod
    def report(message_id: str, status: str, failure_reason: str | None = None) -> dict:
        form = {"id": message_id, "status": status, "phoneNumber": "+254712345678", "networkCode": "63902"}
        if failure_reason:
            form["failureReason"] = failure_reason
        return form


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        """Silent: the tests report what matters, not every request line."""

    def do_POST(self):
        fake: FakeAfricasTalking = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        record = {"path": self.path, "form": form, "headers": dict(self.headers)}
        fake.requests.append(record)
        if self.path != "/version1/messaging":
            return self.answer(404, "text/plain", b"Not found")
        if self.headers.get("apiKey") != fake.api_key or form.get("username") != fake.username:
            return self.answer(401, "text/plain", b"The supplied authentication is invalid")
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded" or not form.get("to") \
                or not form.get("message") or not form["to"].startswith("+"):
            return self.answer(400, "text/plain", b"The request contains bad syntax or cannot be fulfilled")
        if fake.mode == "hang":
            time.sleep(fake.hang_seconds)
        if fake.mode == "invalid_sender":
            return self.json(201, {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}})
        http_status, code, word = OUTCOMES.get(fake.mode, OUTCOMES["ok"])
        accepted = code in (100, 101, 102)
        message_id = f"ATXid_{uuid.uuid4().hex}" if accepted else "None"
        if accepted:
            record["id"] = message_id
        self.json(http_status, {"SMSMessageData": {
            "Message": f"Sent to {int(accepted)}/1 Total Cost: {'KES 0.8000' if accepted else '0'}",
            "Recipients": [{"statusCode": code, "number": form["to"], "status": word,
                            "cost": "KES 0.8000" if accepted else "0", "messageId": message_id}]}})

    def json(self, status: int, data: dict) -> None:
        self.answer(status, "application/json", json.dumps(data).encode())

    def answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
