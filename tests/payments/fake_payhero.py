"""A local stand-in for PayHero's HTTP API, for testing the real client over real HTTP.

Implements what the reference documents: POST /api/v2/payments (Basic auth, JSON body, answers
201 {success, status: QUEUED, reference, CheckoutRequestID}) and GET /api/v2/transaction-status
?reference=… ({status: QUEUED|SUCCESS|FAILED, provider_reference, ...}). `answer()` plays the
customer's phone: it records the outcome and POSTs PayHero's callback JSON to the callback_url the
app sent — as many times as asked, one after another or all at the same instant.
With push_mode "timeout" the push is answered only after hang_seconds, longer than the app waits:
the transaction still exists and the phone still gets the prompt (`latest_reference` finds it).
POST /api/v2/withdraw (B2C) is played the same way: `answer()` on a withdrawal sends the withdrawal
callback's shape (TransactionID and RecipientAccountNumber instead of the receipt and phone);
withdraw_mode "reject" refuses it as PayHero does when the wallet is short; "timeout" and "hang_up" accept it
(the transfer exists and can be answered) but answer only after hang_seconds, or close the connection unanswered,
so the app never learns PayHero's reference. `answer(..., legacy=True)` sends the callback without `reference`.
"""
from __future__ import annotations

import base64
import json
import secrets
import ssl
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

from tests.concurrency import run_together
from tests.servers import LoopbackHandler, LoopbackHTTPServer

REQUIRED = {"amount": int, "phone_number": str, "channel_id": int, "provider": str}
WITHDRAW_REQUIRED = {"amount": int, "phone_number": str, "network_code": str, "external_reference": str,
                     "callback_url": str, "channel": str}


class FakePayHero(LoopbackHTTPServer):
    def __init__(self, username: str = "api-user", password: str = "api-pass", ca_file: str | None = None):
        self.authorization = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.requests: list[dict] = []
        self.transactions: dict[str, dict] = {}
        self.push_mode = "ok"  # ok | timeout | reject | http_error
        self.withdraw_mode = "ok"  # ok | reject | timeout | hang_up
        self.hang_seconds = 3.0
        self.lock = threading.Lock()
        # Callbacks to an HTTPS app whose certificate is signed by ca_file (as PayHero trusts public CAs).
        self.callback_context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        super().__init__(Handler)

    def withdrawals(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/api/v2/withdraw"]

    def pushes(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/api/v2/payments"]

    def status_queries(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/api/v2/transaction-status"]

    def latest_reference(self, wait: float = 10.0) -> str:
        """PayHero's reference of the newest transaction, waiting for a hung push to create it."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with self.lock:
                if self.transactions:
                    return list(self.transactions)[-1]
            time.sleep(0.05)
        raise AssertionError("no transaction was created")

    # ---- the customer's phone
    def answer(self, reference: str, result_code: int = 0, desc: str | None = None, callback_amount=None,
               times: int = 1, concurrent: bool = False, send: bool = True, legacy: bool = False) -> list[int]:
        """Settle the transaction and (unless send=False: a lost callback) POST the callback; legacy=True drops
        the PayHero reference from a withdrawal callback (the older shape carries only ExternalReference)."""
        body = self.settle(reference, result_code, desc, callback_amount)
        if legacy:
            body["response"].pop("reference", None)
        if not send:
            return []
        url = self.transactions[reference]["body"]["callback_url"]
        return self.post_callback(url, body, times, concurrent)

    def settle(self, reference: str, result_code: int = 0, desc: str | None = None, callback_amount=None) -> dict:
        """The customer answered: the status query now tells the outcome; returns the callback body."""
        tx = self.transactions[reference]
        paid = result_code == 0
        tx["status"] = "SUCCESS" if paid else "FAILED"
        tx["receipt"] = ("T" + secrets.token_hex(5).upper()[:9]) if paid else ""
        if tx.get("kind") == "withdraw":
            return {"status": paid, "response": {
                "Amount": tx["body"]["amount"], "ExternalReference": tx["body"]["external_reference"],
                "RecipientAccountNumber": tx["body"]["phone_number"], "TransactionID": tx["receipt"],
                "ResultCode": result_code, "ResultDesc": desc or ("Success" if paid else "Failed"),
                "Status": "Success" if paid else "Failed", "reference": reference}}
        body = {
            "forward_url": "",
            "response": {
                "Amount": tx["body"]["amount"] if callback_amount is None else callback_amount,
                "CheckoutRequestID": tx["checkout_request_id"],
                "ExternalReference": tx["body"].get("external_reference"),
                "MerchantRequestID": "3202-70921557-1",
                "MpesaReceiptNumber": tx["receipt"],
                "Phone": "254" + tx["body"]["phone_number"][1:],
                "ResultCode": result_code,
                "ResultDesc": desc or ("The service request is processed successfully." if paid else "Failed"),
                "Status": "Success" if paid else "Failed",
                "ServiceWalletBalance": 100, "PaymentWalletBalance": 5000, "ChannelID": tx["body"]["channel_id"],
            },
            "status": paid,
        }
        return body

    def post_callback(self, url: str, body: dict, times: int = 1, concurrent: bool = False) -> list[int]:
        data = json.dumps(body).encode()
        results: list[int] = []

        def send(barrier=None):
            if barrier:
                barrier.wait()
            request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30, context=self.callback_context) as response:
                    results.append(response.status)
            except urllib.error.HTTPError as exc:
                results.append(exc.code)

        if not concurrent:
            for _ in range(times):
                send()
            return results
        errors = run_together(None, send, times)
        if errors:
            raise errors[0]
        return results


class Handler(LoopbackHandler):
    @property
    def fake(self) -> FakePayHero:
        return self.server.fake

    def reply(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a hung push: the app stopped waiting for this answer

    def record(self, body=None) -> dict:
        parts = urlsplit(self.path)
        entry = {"method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                 "headers": dict(self.headers), "body": body}
        with self.fake.lock:
            self.fake.requests.append(entry)
        return entry

    def authorised(self) -> bool:
        if self.headers.get("Authorization") != self.fake.authorization:
            self.reply(401, {"error_message": "Unauthorized"})
            return False
        return True

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        entry = self.record(body)
        if entry["path"] == "/api/v2/withdraw":
            return self.withdraw(body)
        if entry["path"] != "/api/v2/payments":
            return self.reply(404, {"error_message": "Not found"})
        if not self.authorised():
            return None
        problems = [k for k, t in REQUIRED.items() if not isinstance((body or {}).get(k), t)]
        if problems or self.headers.get("Content-Type") != "application/json":
            return self.reply(400, {"error_message": f"invalid fields: {problems}"})
        mode = self.fake.push_mode
        if mode == "timeout":
            self.stall(self.fake.hang_seconds)
        if mode == "reject":
            return self.reply(201, {"success": False, "error_message": "Insufficient service wallet balance"})
        if mode == "http_error":
            return self.reply(500, {"error_message": "Internal error"})
        reference = secrets.token_hex(5).upper()
        checkout = "ws_CO_" + secrets.token_hex(10)
        with self.fake.lock:
            self.fake.transactions[reference] = {"status": "QUEUED", "receipt": "", "body": body,
                                                 "checkout_request_id": checkout}
        self.reply(201, {"success": True, "status": "QUEUED", "reference": reference, "CheckoutRequestID": checkout})

    def withdraw(self, body) -> None:
        if not self.authorised():
            return None
        problems = [k for k, t in WITHDRAW_REQUIRED.items() if not isinstance((body or {}).get(k), t)]
        if problems:
            return self.reply(400, {"error_message": f"invalid fields: {problems}"})
        if self.fake.withdraw_mode == "reject":
            return self.reply(201, {"success": False, "error_message": "Insufficient balance"})
        reference = "WD" + secrets.token_hex(5).upper()
        with self.fake.lock:
            self.fake.transactions[reference] = {"status": "QUEUED", "receipt": "", "body": body, "kind": "withdraw",
                                                 "checkout_request_id": ""}
        if self.fake.withdraw_mode == "timeout":
            self.stall(self.fake.hang_seconds)
        elif self.fake.withdraw_mode == "hang_up":
            return self.hang_up()
        self.reply(201, {"success": True, "status": "QUEUED", "reference": reference})

    def do_GET(self) -> None:
        entry = self.record()
        if entry["path"] != "/api/v2/transaction-status":
            return self.reply(404, {"error_message": "Not found"})
        if not self.authorised():
            return None
        reference = (entry["query"].get("reference") or [""])[0]
        tx = self.fake.transactions.get(reference)
        if tx is None:
            return self.reply(404, {"error_message": "Transaction not found"})
        self.reply(200, {
            "transaction_date": "2026-11-25T08:41:14.160604Z", "provider": "m-pesa", "success": True,
            "merchant": "Mwanzo", "payment_reference": "", "third_party_reference": tx["receipt"],
            "status": tx["status"], "reference": reference, "CheckoutRequestID": "",
            "provider_reference": tx["receipt"],
        })
