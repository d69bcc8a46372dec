"""Direct browser uploads to S3: a presigned PUT for small files, presigned multipart parts for large
ones. The app never sees the bytes; the browser reports back and the app checks what arrived."""
from __future__ import annotations

import math
import posixpath

from flask import current_app, url_for

from mwanzo.courses.models import Lesson
from mwanzo.media import services as media
from mwanzo.storage import get_storage

URL_TTL = 6 * 3600


class BadUpload(Exception):
    """The browser's report does not match an upload we started for this lesson."""


def direct_mode() -> bool:
    return current_app.config["STORAGE_BACKEND"] == "s3"


def upload_settings(lesson: Lesson) -> dict:
    """What the upload form and its script need."""
    return {
        "mode": "s3" if direct_mode() else "local",
        "action": url_for("studio.video_upload", lesson_id=lesson.id),
        "start": url_for("studio.video_upload_start", lesson_id=lesson.id),
        "complete": url_for("studio.video_upload_complete", lesson_id=lesson.id),
        "max_bytes": current_app.config["MAX_VIDEO_BYTES"],
    }


def start_direct_upload(lesson: Lesson, filename: str, size: int) -> dict:
    if size > current_app.config["MAX_VIDEO_BYTES"]:
        raise media.VideoTooLarge(media.too_large_message())
    if size <= 0:
        raise ValueError("size")
    storage = get_storage()
    key = media.source_key_for(lesson, filename)
    client, bucket = storage.client, storage.bucket
    if size < current_app.config["S3_MULTIPART_THRESHOLD"]:
        url = client.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=URL_TTL)
        return {"key": key, "url": url}
    part_bytes = max(current_app.config["S3_PART_BYTES"], 5 * 1024**2, math.ceil(size / 10_000))
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    parts = [
        {"number": n, "url": client.generate_presigned_url(
            "upload_part", Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": n},
            ExpiresIn=URL_TTL)}
        for n in range(1, math.ceil(size / part_bytes) + 1)
    ]
    return {"key": key, "upload_id": upload_id, "part_bytes": part_bytes, "parts": parts}


def complete_direct_upload(lesson: Lesson, report: dict) -> None:
    key = str(report.get("key", ""))
    # Only a key this lesson's start handed out: lessons/<this lesson>/<version>/source.<ext>
    if not key.startswith(f"lessons/{lesson.id}/") or posixpath.basename(key).split(".")[0] != "source" \
            or key.count("/") != 3:
        raise BadUpload
    storage = get_storage()
    if report.get("upload_id"):
        try:
            parts = [{"PartNumber": int(p["number"]), "ETag": str(p["etag"])} for p in report.get("parts", [])]
        except (KeyError, TypeError, ValueError):
            raise BadUpload from None
        if not parts:
            raise BadUpload
        storage.client.complete_multipart_upload(Bucket=storage.bucket, Key=key, UploadId=str(report["upload_id"]),
                                                 MultipartUpload={"Parts": parts})
    if not storage.exists(key):
        raise BadUpload
    media.queue_stored_upload(lesson, key, storage.size(key))
