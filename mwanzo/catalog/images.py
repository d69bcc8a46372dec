"""Course thumbnails: decoded and re-encoded at upload into small WebP and JPEG sizes.

The instructor course builder calls ``store_course_thumbnail(course, upload)`` with the uploaded file;
the kind of image is decided by its bytes (Pillow), never by its name or the browser's content type.
Each upload gets a fresh version folder, so the public URLs can be cached for a year.
"""
from __future__ import annotations

import io
import secrets
import warnings
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps

from mwanzo import jobs
from mwanzo.catalog.models import Course
from mwanzo.storage import get_storage

WIDTHS = (320, 480, 640)  # 16:9 crops; cards use 320/480, the course page and OpenGraph 640
ASPECT = (16, 9)
FORMATS = {"webp": ("WEBP", "image/webp", {"quality": 72, "method": 4}),
           "jpg": ("JPEG", "image/jpeg", {"quality": 78, "optimize": True, "progressive": True})}
ACCEPTED = {"JPEG", "PNG", "WEBP", "GIF"}
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_PIXELS = 40_000_000


class InvalidImage(ValueError):
    """The upload is not a JPEG, PNG, WebP or GIF picture we can read, or it is too large."""


def thumbnail_key(course_id, version: str, width: int, ext: str) -> str:
    return f"courses/{course_id}/thumb/{version}/{width}.{ext}"


def _decode(upload: BinaryIO) -> Image.Image:
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidImage(_l("The image is larger than 8 MB."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ACCEPTED:
                raise InvalidImage(_l("Upload a JPEG, PNG or WebP image."))
            if image.width * image.height > MAX_PIXELS:
                raise InvalidImage(_l("The image is too large."))
            image.load()
    except InvalidImage:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidImage(_l("This file is not an image we can read. Upload a JPEG, PNG or WebP.")) from exc
    image = ImageOps.exif_transpose(image)
    return image.convert("RGB")


def write_thumbnail(course_id, upload: BinaryIO) -> dict:
    """Write the thumbnail sizes of a new version to storage; returns the course fields that point at it.

    Raises InvalidImage for anything that is not a readable picture.
    """
    image = _decode(upload)
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
    if previous:
        forget_thumbnail(course.id, previous)


def forget_thumbnail(course_id, version: str) -> None:
    """Removed only once this change has committed, and only if nothing points at it any more."""
    jobs.enqueue("mwanzo.catalog.tasks.delete_old_thumbnail", str(course_id), version)


def store_course_thumbnail(course: Course, upload: BinaryIO) -> dict:
    """Write the thumbnail sizes and point the course at them; returns the new renditions."""
    thumbnail = write_thumbnail(course.id, upload)
    point_course_at(course, thumbnail)
    return thumbnail["thumbnail_renditions"]


def content_type_for(ext: str) -> str | None:
    spec = FORMATS.get(ext)
    return spec[1] if spec else None
