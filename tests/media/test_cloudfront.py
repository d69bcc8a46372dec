"""With CLOUDFRONT_* set, media URLs are CloudFront signed URLs (canned policy, RSA-SHA1) that expire."""
from __future__ import annotations

import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import current_app
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from mwanzo.media.delivery import media_url, rewrite_playlist


@pytest.fixture
def cloudfront(app, settings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    settings(STORAGE_BACKEND="s3", CLOUDFRONT_DOMAIN="d111.cloudfront.net", CLOUDFRONT_KEY_ID="K2JCJMDEHXQW5F",
             CLOUDFRONT_PRIVATE_KEY=pem)
    app.extensions.pop("mwanzo_cloudfront_signer", None)
    with app.test_request_context():
        yield key.public_key()
    app.extensions.pop("mwanzo_cloudfront_signer", None)


def unsafe_b64(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_segment_urls_are_cloudfront_signed_and_verifiable(cloudfront):
    url = media_url("lessons/abc/v1/hls/144p/seg_0000.m4s", ttl=600)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.netloc == "d111.cloudfront.net" and parts.path == "/lessons/abc/v1/hls/144p/seg_0000.m4s"
    assert query["Key-Pair-Id"] == "K2JCJMDEHXQW5F"
    expires = int(query["Expires"])
    window = current_app.config["MEDIA_URL_WINDOW_SECONDS"]  # the same URL all window long
    assert time.time() + 600 < expires <= time.time() + 601 + window and expires % window == 600 % window
    assert media_url("lessons/abc/v1/hls/144p/seg_0000.m4s", ttl=600) == url
    resource = url.split("?")[0]
    policy = json.dumps({"Statement": [{"Resource": resource, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
                        separators=(",", ":")).encode()
    cloudfront.verify(unsafe_b64(query["Signature"]), policy, padding.PKCS1v15(), hashes.SHA1())  # raises if wrong


def test_playlists_stay_on_the_app_and_point_at_cloudfront(cloudfront):
    assert urlsplit(media_url("lessons/abc/v1/master.m3u8")).path.startswith("/media/")
    text = rewrite_playlist("lessons/abc/v1/hls/144p/index.m3u8",
                            '#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg_0000.m4s\n')
    assert text.count("https://d111.cloudfront.net/lessons/abc/v1/hls/144p/") == 2
