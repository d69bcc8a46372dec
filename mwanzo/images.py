"""The one way an uploaded picture is read: course thumbnails, employer logos and any later upload.

The kind of image is decided by its bytes, never by its name or the browser's content type. The
picture's size is read from its header and checked against MAX_IMAGE_PIXELS before a single pixel
is decoded, so a tiny file that claims 100 megapixels (a "pixel bomb") never costs the web worker
the hundreds of MB its pixels would. Callers re-encode what they get back (WebP, JPEG), so EXIF,
GPS positions and other metadata in the upload are never stored or served.
"""
from __future__ import annotations

import io
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileSize
from PIL import Image, ImageOps

ACCEPTED = ("PNG", "JPEG", "WEBP")  # no SVG (scripts), no GIF/BMP/TIFF: nothing a phone camera or editor needs
EXTENSIONS = ("jpg", "jpeg", "png", "webp")  # what the form accepts by name; the bytes decide in open_upload
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MAX_IMAGE_MEGABYTES = MAX_IMAGE_BYTES // 1024**2


def upload_validators() -> list:
    """The form's checks of an image field: the same limits as open_upload, told before anything is decoded."""
    return [FileAllowed(EXTENSIONS, _l("Choose a JPEG, PNG or WebP image.")),
            FileSize(MAX_IMAGE_BYTES, message=_l("The image is larger than %(megabytes)s MB.",
                                                 megabytes=MAX_IMAGE_MEGABYTES))]


class InvalidImage(ValueError):
    """The upload is not a PNG, JPEG or WebP picture we accept; str(exc) tells the uploader why."""


def open_upload(upload: BinaryIO) -> Image.Image:
    """Check and decode an uploaded picture: an upright RGB (or RGBA, when it has transparency)
    image carrying no metadata. Raises InvalidImage with a message for the form."""
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidImage(_("The image is larger than %(megabytes)s MB.", megabytes=MAX_IMAGE_MEGABYTES))
    limit = current_app.config["MAX_IMAGE_PIXELS"]
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED)  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own bomb limit (89 MP) is above ours: what it stops is over ours too.
        raise _too_many_pixels(limit) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(_("This file is not an image we can read. Upload a JPEG, PNG or WebP.")) from exc
    if image.width * image.height > limit:
        raise _too_many_pixels(limit)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImage(_("This file is not an image we can read. Upload a JPEG, PNG or WebP.")) from exc
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    clean = image.convert("RGBA" if has_alpha else "RGB")
    clean.info = {}  # EXIF, ICC, XMP and text chunks stay behind
    return clean


def _too_many_pixels(limit: int) -> InvalidImage:
    return InvalidImage(_("This image has too many pixels: the largest we accept is %(megapixels)s megapixels. "
                          "Make it smaller and upload it again.", megapixels=limit // 1_000_000))
