"""Local stand-ins for outside servers: free loopback ports, a self-signed certificate, an SMTP inbox, an
HTTP API on loopback."""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_certificate(folder: Path, name: str = "localhost") -> tuple[Path, Path]:
    """A certificate for localhost and 127.0.0.1, acting as its own CA: (certificate path, key path).
    Clients trust it by being given the certificate as their CA file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class Inbox(Message):
    """Collects the messages an SMTP server accepts."""

    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def start_smtp(inbox: Inbox, certificate: tuple[Path, Path] | None = None) -> Controller:
    """aiosmtpd on a free loopback port; with a certificate it offers STARTTLS and requires it."""
    kwargs = {}
    if certificate:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        kwargs = {"tls_context": context, "require_starttls": True}
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller


class LoopbackHTTPServer:
    """A local stand-in for an outside HTTP API on a free loopback port; ``handler.server.fake`` is the
    instance, so request handlers reach its state."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class LoopbackHandler(BaseHTTPRequestHandler):
    """A request handler that can also misbehave as an outside API does: answer too late, or hang up."""

    def log_message(self, *args) -> None:
        """Silenced: the standard handler would print every request into the test output."""

    def stall(self, seconds: float) -> None:
        """Wait past the client's timeout before answering: the client gives up with the request received."""
        time.sleep(seconds)

    def hang_up(self) -> None:
        """Close the connection without a status line, as a proxy dropping it after the request arrived."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)
