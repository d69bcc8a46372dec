"""Chromium enforces the CSP: an image from a host the app was not configured with is never fetched, while
the app's own course picture loads."""
import datetime
import http.server
import ipaddress
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mwanzo.courses.images import store_course_thumbnail
from mwanzo.extensions import db
from tests.catalog.test_thumbnails import image_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def outside_https_host(tmp_path):
    """An HTTPS server on loopback (self-signed) that counts the image requests it receives."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    requests = []
    pixel = image_bytes("PNG", size=(2, 2)).getvalue()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(pixel)))
            self.end_headers()
            self.wfile.write(pixel)

        def log_message(self, *args):
            """Silenced: keeps pytest's output to the test's own."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_port}", requests
    server.shutdown()


def test_an_image_from_an_unlisted_host_is_blocked_and_own_media_loads(new_page, make, outside_https_host):
    outside, requests = outside_https_host
    course = make.course(title="Kilimo bora")
    store_course_thumbnail(course, image_bytes("PNG"))
    db.session.commit()

    page = new_page(ignore_https_errors=True)
    page.goto(f"/courses/{course.slug}")
    own = page.locator("article picture img")
    own.wait_for()
    page.wait_for_function("img => img.complete", arg=own.element_handle())
    assert own.evaluate("img => img.naturalWidth") > 0
    # Markup that reached the page some other way: an image from a host the app was not configured with.
    page.evaluate("""url => new Promise(done => {
        const img = new Image(); img.id = "outside"; img.onload = img.onerror = done;
        img.src = url; document.querySelector("main").append(img); })""", f"{outside}/pixel.png")
    assert page.locator("#outside").evaluate("img => img.naturalWidth") == 0
    assert requests == []
