"""Every picture upload goes through one pipeline with one pixel cap, checked before decoding."""
from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers.models import EmployerProfile
from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.storage import get_storage
from tests.studio.test_builder import course_form

BOMB_SIDE = 10_000  # 100 megapixels


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def pixel_bomb() -> bytes:
    """A 10,000 x 10,000 black-and-white PNG: about 12 KB on disk, 100 MB once Pillow decodes it
    (one byte a pixel) and 300 MB as RGB."""
    row = bytes(1 + BOMB_SIDE // 8)  # filter byte + one bit a pixel, all black
    pixels = zlib.compress(row * BOMB_SIDE, 9)
    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", pixels) + png_chunk(b"IEND", b"")


def photo_with_location() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "S", 2: (1.0, 17.0, 0.0)}  # GPS position
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), (11, 110, 79)).save(out, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(out.getvalue())).getexif()[0x010F] == "PhoneMaker"
    return out.getvalue()


def stored_files(prefix: str) -> list[Path]:
    return sorted(p for p in get_storage().root.glob(f"{prefix}/**/*") if p.is_file())


def post_logo(client, picture: bytes, filename: str):
    return client.post("/employer/profile", data={"company_name": "Safari Tech", "logo": (io.BytesIO(picture), filename)},
                       content_type="multipart/form-data")


def test_pixel_bomb_is_refused_as_employer_logo(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    response = post_logo(client, pixel_bomb(), "logo.png")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This image has too many pixels: the largest we accept is 25 megapixels." in page
    assert db.session.scalar(select(EmployerProfile)) is None
    assert stored_files(f"employers/{employer.id}") == []


def test_pixel_bomb_is_refused_as_course_thumbnail(client, make, login):
    login(make.instructor())
    data = course_form(make.category(), thumbnail=(io.BytesIO(pixel_bomb()), "cover.png"))
    thumbnails_before = stored_files("courses")
    response = client.post("/studio/courses/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "This image has too many pixels" in response.get_data(as_text=True)
    assert db.session.scalar(select(Course)) is None
    assert stored_files("courses") == thumbnails_before


def test_pixel_cap_comes_from_configuration(app, client, make, login, settings):
    login(make.user(role=Role.EMPLOYER))
    settings(MAX_IMAGE_PIXELS=1_000_000)
    response = post_logo(client, photo_with_location(), "logo.jpg")
    assert response.status_code == 422 and "largest we accept is 1 megapixels" in response.get_data(as_text=True)


MEASURE = """
import io, resource, sys, uuid
from mwanzo import create_app
from mwanzo.careers.services import store_logo
from mwanzo.courses.images import store_course_thumbnail
from mwanzo.courses.models import Course
from mwanzo.images import InvalidImage

app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "MEDIA_ROOT": sys.argv[2],
                  "SECRET_KEY": "memory-test-secret-key-0123456789abcdef", "REDIS_URL": None})
bomb = open(sys.argv[1], "rb").read()
with app.test_request_context():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    refused = 0
    for store in (lambda: store_logo(uuid.uuid4(), io.BytesIO(bomb)),
                  lambda: store_course_thumbnail(Course(id=uuid.uuid4()), io.BytesIO(bomb))):
        try:
            store()
        except InvalidImage:
            refused += 1
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(before, after, refused)
"""


def test_refusing_the_bomb_keeps_the_worker_memory_flat(tmp_path):
    """Peak memory (ru_maxrss, KB on Linux) of a fresh process that runs both upload paths on the
    bomb: it must not grow by anything like the 100 MB the decoded pixels would take."""
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(pixel_bomb())
    with pytest.warns(Image.DecompressionBombWarning):  # a real bomb, as Pillow itself sees it
        assert Image.open(bomb).size == (BOMB_SIDE, BOMB_SIDE) and bomb.stat().st_size < 20_000
    run = subprocess.run([sys.executable, "-W", "ignore", "-c", MEASURE, str(bomb), str(tmp_path / "media")],
                         capture_output=True, text=True, timeout=120, check=True)
    before, after, refused = (int(x) for x in run.stdout.split())
    decoded_kb = BOMB_SIDE * BOMB_SIDE // 1024
    assert refused == 2
    assert after - before < decoded_kb // 10, f"peak RSS grew by {(after - before) // 1024} MB"


def test_normal_pictures_are_stored_without_their_metadata(client, make, login):
    employer = login(make.user(role=Role.EMPLOYER))
    response = post_logo(client, photo_with_location(), "logo.jpg")
    assert response.status_code == 303
    profile = db.session.scalar(select(EmployerProfile).where(EmployerProfile.user_id == employer.id))
    with get_storage().open(profile.logo_key) as handle:
        logo = Image.open(handle)
        assert logo.size == (256, 192) and not logo.getexif() and "exif" not in logo.info

    login(make.instructor())
    data = course_form(make.category(), thumbnail=(io.BytesIO(photo_with_location()), "cover.jpg"))
    assert client.post("/studio/courses/new", data=data, content_type="multipart/form-data").status_code == 302
    course = db.session.scalar(select(Course))
    thumbs = stored_files(course.thumbnail_key)
    assert len(thumbs) == 6
    for path in thumbs:
        with Image.open(path) as picture:
            assert not picture.getexif() and "exif" not in picture.info
