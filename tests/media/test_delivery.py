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


def test_tampered_or_expired_signature_is_refused(client):
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
