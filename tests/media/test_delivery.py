import time
from urllib.parse import parse_qs, urlsplit

import pytest

from mwanzo.media.delivery import media_url
from mwanzo.storage import get_storage


@pytest.fixture(autouse=True)
def _request_context(app):
    # Signed URLs are built while rendering a page, i.e. inside a request.
    with app.test_request_context():
        yield


def store(key: str, data: bytes, content_type: str = "video/mp4") -> None:
    import io
    get_storage().save(key, io.BytesIO(data), content_type)


def test_signed_url_serves_bytes_with_content_type_and_ranges(client):
    store("lessons/x/download.mp4", bytes(range(256)) * 4)
    url = media_url("lessons/x/download.mp4")
    whole = client.get(url)
    assert whole.status_code == 200 and whole.mimetype == "video/mp4" and len(whole.data) == 1024
    part = client.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == bytes(range(10, 20))
    assert part.headers["Content-Range"] == "bytes 10-19/1024"
    assert client.get(url, headers={"Range": "bytes=5000-"}).status_code == 416


def test_tampered_or_expired_signature_is_refused(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_URL_WINDOW_SECONDS", 1)
    store("lessons/x/a.ts", b"segment")
    url = media_url("lessons/x/a.ts")
    query = parse_qs(urlsplit(url).query)
    assert client.get(url.replace("a.ts", "b.ts")).status_code == 403
    assert client.get(url.replace(query["sig"][0], "A" * len(query["sig"][0]))).status_code == 403
    expired = media_url("lessons/x/a.ts", ttl=1)
    time.sleep(2.1)
    assert client.get(expired).status_code == 403
    assert client.get("/media/lessons/x/a.ts").status_code == 403


def test_playlists_are_rewritten_so_every_uri_inside_is_signed(client):
    store("lessons/x/hls/360p/index.m3u8",
          b'#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4.0,\nseg_000.m4s\n#EXT-X-ENDLIST\n',
          "application/vnd.apple.mpegurl")
    store("lessons/x/hls/360p/seg_000.m4s", b"media-bytes")
    response = client.get(media_url("lessons/x/hls/360p/index.m3u8"))
    assert response.mimetype == "application/vnd.apple.mpegurl"
    lines = response.get_data(as_text=True).splitlines()
    segment_url = next(line for line in lines if "seg_000.m4s" in line)
    assert "sig=" in segment_url and "sig=" in next(line for line in lines if "init.mp4" in line)
    assert client.get(segment_url).data == b"media-bytes"


def test_urls_signed_within_a_window_are_the_same_and_still_expire(app, monkeypatch):
    """One URL per object per window (so the browser can reuse its copy), valid for TTL to TTL + window."""
    from mwanzo.media.delivery import windowed_expiry

    monkeypatch.setitem(app.config, "MEDIA_URL_WINDOW_SECONDS", 3600)
    assert media_url("lessons/x/poster.jpg") == media_url("lessons/x/poster.jpg")
    assert windowed_expiry(600, now=7200) == windowed_expiry(600, now=10799) == 10800 + 600
    assert windowed_expiry(600, now=10800) == 14400 + 600
    for now in (7200, 9000, 10799):
        assert 600 < windowed_expiry(600, now=now) - now <= 600 + 3600


def test_media_responses_let_the_browser_keep_and_revalidate_them(client):
    store("lessons/x/hls/240p/seg_0001.m4s", b"segment-bytes")
    store("lessons/x/poster.jpg", b"jpeg-bytes", "image/jpeg")
    segment = client.get(media_url("lessons/x/hls/240p/seg_0001.m4s"))
    expires = int(parse_qs(urlsplit(media_url("lessons/x/poster.jpg")).query)["exp"][0])
    age = int(segment.headers["Cache-Control"].split("max-age=")[1].split(",")[0])
    assert segment.headers["Cache-Control"].startswith("private, ") and "immutable" in segment.headers["Cache-Control"]
    assert abs(age - (expires - time.time())) <= 2  # kept exactly as long as the signature lives
    poster_url = media_url("lessons/x/poster.jpg")
    poster = client.get(poster_url)
    assert "immutable" not in poster.headers["Cache-Control"] and poster.headers["ETag"]
    again = client.get(poster_url, headers={"If-None-Match": poster.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["Cache-Control"]
    since = client.get(poster_url, headers={"If-Modified-Since": poster.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(poster_url, headers={"Range": "bytes=0-3", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.data == b"jpeg-bytes"
    fresh = client.get(poster_url, headers={"Range": "bytes=0-3", "If-Range": poster.headers["ETag"]})
    assert fresh.status_code == 206 and fresh.data == b"jpeg"


def test_s3_urls_stay_the_same_within_a_window_and_fetch_the_object(app, s3, settings):
    """SigV4 writes the signing second into every presigned URL; the first one of a window is handed out
    for the rest of it, so a revisit asks for the same URL and the browser answers from its cache."""
    import requests

    settings(MEDIA_URL_WINDOW_SECONDS=3600)
    store("lessons/x/poster.jpg", b"poster-bytes", "image/jpeg")
    first = media_url("lessons/x/poster.jpg")
    time.sleep(1.1)  # a new signature now would carry another X-Amz-Date
    assert media_url("lessons/x/poster.jpg") == first
    assert requests.get(first, timeout=5).content == b"poster-bytes"
    expires_in = int(parse_qs(urlsplit(first).query)["X-Amz-Expires"][0])
    ttl = app.config["MEDIA_URL_TTL_SECONDS"]
    assert ttl < expires_in <= ttl + 3600  # valid for the TTL after the window ends, never longer
    saved_as = media_url("lessons/x/poster.jpg", download_name="Poster.jpg")
    assert saved_as != first and "attachment" in requests.get(saved_as, timeout=5).headers["Content-Disposition"]


def test_s3_urls_change_with_the_window(s3, settings):
    settings(MEDIA_URL_WINDOW_SECONDS=1, MEDIA_URL_TTL_SECONDS=60)
    store("lessons/x/poster.jpg", b"poster-bytes", "image/jpeg")
    first = media_url("lessons/x/poster.jpg")
    time.sleep(1.1)
    assert media_url("lessons/x/poster.jpg") != first
