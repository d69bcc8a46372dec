"""Signed, expiring media URLs and the route that serves them.

Local storage: the app serves bytes itself (Range requests, right content types) or hands them to
nginx with X-Accel-Redirect when MEDIA_X_ACCEL_PREFIX is set. S3: presigned GETs. HLS playlists are
always served by the app and rewritten on every request, so each segment and variant URL inside
them is signed too.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import mimetypes
import posixpath
import re
import time

from flask import Blueprint, Response, abort, current_app, request, url_for
from werkzeug.http import http_date, parse_date

from mwanzo import cache
from mwanzo.storage import LocalStorage, get_storage

bp = Blueprint("media", __name__)

CONTENT_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4a": "audio/mp4",
    ".aac": "audio/aac",
    ".vtt": "text/vtt",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_URI_ATTRIBUTE = re.compile(r'URI="([^"]+)"')


def _signature(key: str, expires: int) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(secret, f"media:{key}:{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


def signature_is_valid(key: str, expires: str | None, signature: str | None) -> bool:
    # isascii: "²".isdigit() is true but int() refuses it; compare_digest takes non-ASCII text only as bytes.
    if not expires or not signature or not (expires.isascii() and expires.isdigit()) or int(expires) < time.time():
        return False
    return hmac.compare_digest(_signature(key, int(expires)).encode(), signature.encode())


@bp.app_template_global()
def media_url(key: str, ttl: int | None = None, download_name: str | None = None) -> str:
    """A URL for one stored object that stops working after ttl seconds (MEDIA_URL_TTL_SECONDS).

    With download_name the response is an attachment saved under that name."""
    ttl = ttl or current_app.config["MEDIA_URL_TTL_SECONDS"]
    expires = windowed_expiry(ttl)
    if key.endswith(".m3u8") or current_app.config["STORAGE_BACKEND"] == "local":
        extra = {"dl": download_name} if download_name else {}
        return url_for("media.serve", key=key, exp=expires, sig=_signature(key, expires), **extra)
    if current_app.config.get("CLOUDFRONT_DOMAIN") and not download_name:
        return cloudfront_url(key, expires)
    return s3_url(key, expires, ttl, download_name)


def s3_url(key: str, expires: int, ttl: int, download_name: str | None) -> str:
    """A presigned S3 URL that lasts until ``expires``. SigV4 signs the moment of signing into the URL, so
    two signatures always differ: the first URL signed in a window is kept in the shared cache and handed
    out for the rest of the window, so the browser can answer from its cache."""
    storage = get_storage()
    params = {"Bucket": storage.bucket, "Key": key}
    if download_name:
        params["ResponseContentDisposition"] = attachment(download_name)

    def sign() -> str:
        return storage.client.generate_presigned_url("get_object", Params=params,
                                                     ExpiresIn=max(1, expires - int(time.time())))

    window_left = max(1, expires - ttl - int(time.time()))
    return cache.shared(f"s3-url:{key}:{download_name or ''}", str(expires), sign, timeout=window_left,
                        per_language=False)


def windowed_expiry(ttl: int, now: float | None = None) -> int:
    """The end of the current MEDIA_URL_WINDOW_SECONDS window plus ttl: every URL for one object signed
    within a window is the same URL, which the browser (or a CDN) can answer from its cache."""
    window = max(1, current_app.config["MEDIA_URL_WINDOW_SECONDS"])
    now = int(time.time() if now is None else now)
    return (now // window + 1) * window + ttl


def attachment(filename: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", filename).strip("-") or "download"
    return f'attachment; filename="{safe}"'


def cloudfront_signer():
    """botocore's CloudFrontSigner with an RSA-SHA1 signer from the `cryptography` package (built once)."""
    signer = current_app.extensions.get("mwanzo_cloudfront_signer")
    if signer is None:
        from botocore.signers import CloudFrontSigner
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        pem = current_app.config["CLOUDFRONT_PRIVATE_KEY"]
        if not pem.lstrip().startswith("-----"):
            with open(pem, "rb") as handle:
                pem = handle.read().decode()
        private_key = serialization.load_pem_private_key(pem.encode(), password=None)
        signer = CloudFrontSigner(current_app.config["CLOUDFRONT_KEY_ID"],
                                  lambda message: private_key.sign(message, padding.PKCS1v15(), hashes.SHA1()))
        current_app.extensions["mwanzo_cloudfront_signer"] = signer
    return signer


def cloudfront_url(key: str, expires: int) -> str:
    from datetime import UTC, datetime
    from urllib.parse import quote

    url = f"https://{current_app.config['CLOUDFRONT_DOMAIN'].rstrip('/')}/{quote(key)}"
    return cloudfront_signer().generate_presigned_url(url, date_less_than=datetime.fromtimestamp(expires, UTC))


@bp.app_template_global()
def lesson_sources(lesson) -> dict | None:
    """Signed URLs a player needs for a processed video lesson: master playlist, MP4 download, poster."""
    if not lesson.video_ready or not lesson.media_prefix:
        return None
    return {
        "master": media_url(f"{lesson.media_prefix}/master.m3u8"),
        "download": media_url(lesson.download_key) if lesson.download_key else None,
        "poster": media_url(lesson.poster_key) if lesson.poster_key else None,
        "download_bytes": lesson.download_bytes,
    }


def content_type_for(key: str) -> str:
    suffix = posixpath.splitext(key)[1].lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def rewrite_playlist(key: str, text: str, ttl: int | None = None, url_for_key=None) -> str:
    """Replace every URI in an HLS playlist (relative to the playlist) with a signed URL.

    url_for_key(key) may build the URL instead (e.g. an access-checked route for nested playlists)."""
    base = posixpath.dirname(key)

    def signed(uri: str) -> str:
        if "://" in uri or uri.startswith("/"):
            return uri
        target = posixpath.normpath(posixpath.join(base, uri))
        return (url_for_key and url_for_key(target)) or media_url(target, ttl)

    lines = []
    for line in text.splitlines():
        if line.startswith("#"):
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{signed(m.group(1))}"', line)
        elif line.strip():
            line = signed(line.strip())
        lines.append(line)
    return "\n".join(lines) + "\n"


def playlist_response(key: str, ttl: int | None = None, url_for_key=None) -> Response:
    """A stored playlist, rewritten for this request and never cached."""
    with get_storage().open(key) as handle:
        body = rewrite_playlist(key, handle.read().decode(), ttl, url_for_key)
    response = Response(body, mimetype=content_type_for(key))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/media/<path:key>")
def serve(key: str):
    if not signature_is_valid(key, request.args.get("exp"), request.args.get("sig")):
        abort(403)
    storage = get_storage()
    if not storage.exists(key):
        abort(404)
    if key.endswith(".m3u8"):
        return playlist_response(key)
    private_cache = cache_control(key, int(request.args["exp"]))
    accel = current_app.config.get("MEDIA_X_ACCEL_PREFIX")
    if accel and isinstance(storage, LocalStorage):
        response = Response(mimetype=content_type_for(key))
        response.headers["X-Accel-Redirect"] = f"{accel.rstrip('/')}/{key}"
        response.headers["Cache-Control"] = private_cache
    else:
        response = ranged_response(storage, key, private_cache)
    if request.args.get("dl"):
        response.headers["Content-Disposition"] = attachment(request.args["dl"])
    return response


IMMUTABLE = (".m4s", ".ts")  # segments below a lesson's version folder: new video, new folder


def cache_control(key: str, expires: int) -> str:
    """The learner's browser keeps the bytes as long as their signed URL lives; segments never change."""
    age = max(0, expires - int(time.time()))
    return f"private, max-age={age}" + (", immutable" if key.endswith(IMMUTABLE) else "")


def ranged_response(storage, key: str, cache_control: str) -> Response:
    """Whole file, or the single byte range asked for (206), streamed in chunks; 304 when the browser's
    copy (ETag or Last-Modified) is current, and a Range with a stale If-Range gets the whole file."""
    stat = storage.stat(key)
    size = stat.size
    validators = {"ETag": stat.etag, "Last-Modified": http_date(stat.modified), "Cache-Control": cache_control}
    if not_modified(stat):
        return Response(status=304, headers=validators)
    start, end, status = 0, size - 1, 200
    header = request.headers.get("Range")
    if header and request.headers.get("If-Range") not in (None, stat.etag):
        header = None
    if header:
        match = _RANGE.match(header.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:
            start = max(size - int(match.group(2)), 0)
        if start >= size or start > end:
            return Response(status=416, headers={"Content-Range": f"bytes */{size}"})
        status = 206
    response = Response(storage.iter_range(key, start, end), status=status, mimetype=content_type_for(key),
                        direct_passthrough=True)
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Content-Length"] = str(end - start + 1)
    response.headers.update(validators)
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return response


def not_modified(stat) -> bool:
    """If-None-Match decides when sent; otherwise If-Modified-Since (whole seconds)."""
    tags = request.headers.get("If-None-Match")
    if tags is not None:
        return tags.strip() == "*" or stat.etag in [tag.strip().removeprefix("W/") for tag in tags.split(",")]
    since = parse_date(request.headers.get("If-Modified-Since"))
    return since is not None and int(stat.modified.timestamp()) <= int(since.timestamp())
