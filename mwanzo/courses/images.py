"""Course thumbnails: decoded and re-encoded at upload into small WebP and JPEG sizes.

The instructor course builder calls ``store_course_thumbnail(course, upload)`` with the uploaded file;
``mwanzo.images.open_upload`` checks and decodes it like every other uploaded picture.
Each upload gets a fresh version folder, so the public URLs can be cached for a year.
"""
from __future__ import annotations

import io
import secrets
from typing import BinaryIO

from PIL import Image, ImageOps

from mwanzo import cache, jobs
from mwanzo.courses.models import Course
from mwanzo.images import open_upload
from mwanzo.storage import get_storage

WIDTHS = (320, 480, 640)  # 16:9 crops; cards use 320/480, the course page and OpenGraph 640
ASPECT = (16, 9)
FORMATS = {"webp": ("WEBP", "image/webp", {"quality": 72, "method": 4}),
           "jpg": ("JPEG", "image/jpeg", {"quality": 78, "optimize": True, "progressive": True})}


def thumbnail_key(course_id, version: str, width: int, ext: str) -> str:
    return f"courses/{course_id}/thumb/{version}/{width}.{ext}"


def write_thumbnail(course_id, upload: BinaryIO) -> dict:
    """Write the thumbnail sizes of a new version to storage; returns the course fields that point at it.

    Raises mwanzo.images.InvalidImage for anything that is not a picture we accept.
    """
    image = open_upload(upload).convert("RGB")
    version = secrets.token_hex(6)
    storage = get_storage()
    renditions: dict = {"version": version, "widths": list(WIDTHS)}
    for width in WIDTHS:
        height = width * ASPECT[1] // ASPECT[0]
        sized = ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)
        for ext, (pil_format, content_type, options) in FORMATS.items():
            buffer = io.BytesIO()
            sized.save(buffer, pil_format, **options)
            buffer.seek(0)
            storage.save(thumbnail_key(course_id, version, width, ext), buffer, content_type)
    return {"thumbnail_key": f"courses/{course_id}/thumb/{version}", "thumbnail_renditions": renditions}


def point_course_at(course: Course, thumbnail: dict) -> None:
    """Show this thumbnail version (the caller commits); the replaced one's files go after the commit."""
    previous = (course.thumbnail_renditions or {}).get("version")
    course.thumbnail_key, course.thumbnail_renditions = thumbnail["thumbnail_key"], thumbnail["thumbnail_renditions"]
    cache.bump_course(course.id)
    if previous:
        forget_thumbnail(course.id, previous)


def forget_thumbnail(course_id, version: str) -> None:
    """Removed only once this change has committed, and only if nothing points at it any more."""
    from mwanzo.courses.tasks import delete_old_thumbnail

    jobs.enqueue(delete_old_thumbnail, str(course_id), version)


def store_course_thumbnail(course: Course, upload: BinaryIO) -> dict:
    """Write the thumbnail sizes and point the course at them; returns the new renditions."""
    thumbnail = write_thumbnail(course.id, upload)
    point_course_at(course, thumbnail)
    return thumbnail["thumbnail_renditions"]


def content_type_for(ext: str) -> str | None:
    spec = FORMATS.get(ext)
    return spec[1] if spec else None
