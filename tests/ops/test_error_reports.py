"""Error reports reach Sentry: a real SDK sending envelopes to a local server that speaks the protocol."""
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import sentry_sdk


class EnvelopeHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        """Silenced: the standard handler would print every request into the test output."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "br":
            body = brotli.decompress(body)
        self.server.envelopes.append({"path": self.path, "auth": self.headers.get("X-Sentry-Auth", ""),
                                      "items": [json.loads(line) for line in body.splitlines() if line.strip()]})
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture
def sentry_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), EnvelopeHandler)
    server.envelopes = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    sentry_sdk.init()  # back to a client that sends nothing


def exception_events(envelopes):
    return [item for envelope in envelopes for item in envelope["items"] if "exception" in item]


def test_a_server_error_is_reported_with_its_type_release_and_environment(app, sentry_server):
    from mwanzo import create_app

    dsn = f"http://publickey@127.0.0.1:{sentry_server.server_port}/42"
    other = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False, "SENTRY_DSN": dsn,
                        "SENTRY_RELEASE": "mwanzo@test-1", "MWANZO_ENV": "staging"})

    @other.get("/_boom")
    def boom():
        raise ZeroDivisionError("lesson arithmetic")

    response = other.test_client().get("/_boom", headers={"Cookie": "session=secret-cookie"})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=10)
    [event] = exception_events(sentry_server.envelopes)
    assert sentry_server.envelopes[0]["path"] == "/api/42/envelope/"
    assert "sentry_key=publickey" in sentry_server.envelopes[0]["auth"]
    [exception] = event["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError" and exception["value"] == "lesson arithmetic"
    assert event["release"] == "mwanzo@test-1" and event["environment"] == "staging"
    assert event["request"]["url"].endswith("/_boom")
    # send_default_pii is off: no cookies or client address leave with the report
    assert "secret-cookie" not in json.dumps(event["request"]) and "user" not in event


def test_without_a_dsn_nothing_is_sent(app, sentry_server):
    from mwanzo import create_app

    other = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @other.get("/_boom")
    def boom():
        raise ZeroDivisionError("lesson arithmetic")

    assert other.test_client().get("/_boom").status_code == 500
    sentry_sdk.flush(timeout=2)
    assert sentry_server.envelopes == []
