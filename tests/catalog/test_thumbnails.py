import io
import re

import pytest
from PIL import Image

from mwanzo.courses.images import WIDTHS, store_course_thumbnail
from mwanzo.images import InvalidImage
from mwanzo.extensions import db


def image_bytes(fmt: str, size=(1200, 900), color=(200, 80, 40)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    buffer.seek(0)
    buffer.name = "upload.exe"  # the name must not matter
    return buffer


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_uploaded_picture_is_stored_as_small_webp_and_jpeg_sizes(client, make, fmt):
    course = make.course()
    renditions = store_course_thumbnail(course, image_bytes(fmt))
    db.session.commit()
    assert renditions["widths"] == list(WIDTHS)
    for width in WIDTHS:
        for ext, pil_format in (("webp", "WEBP"), ("jpg", "JPEG")):
            response = client.get(f"/thumbs/{course.id}/{renditions['version']}/{width}.{ext}")
            assert response.status_code == 200
            assert response.mimetype == ("image/webp" if ext == "webp" else "image/jpeg")
            assert "max-age=31536000" in response.headers["Cache-Control"] and "public" in response.headers["Cache-Control"]
            picture = Image.open(io.BytesIO(response.get_data()))
            assert picture.format == pil_format and picture.size == (width, width * 9 // 16)
            assert len(response.get_data()) < 40_000


@pytest.mark.parametrize("payload", [b"not an image at all", b"%PDF-1.4\n...", b"<svg xmlns='http://www.w3.org/2000/svg'/>", b""])
def test_non_images_are_refused_whatever_their_name(make, payload):
    course = make.course()
    upload = io.BytesIO(payload)
    upload.name = "photo.jpg"
    with pytest.raises(InvalidImage):
        store_course_thumbnail(course, upload)
    assert course.thumbnail_renditions == {}


@pytest.mark.parametrize("fmt", ["BMP", "GIF"])
def test_formats_pillow_reads_but_we_do_not_accept_are_refused(make, fmt):
    with pytest.raises(InvalidImage):
        store_course_thumbnail(make.course(), image_bytes(fmt))


def test_a_new_upload_gets_new_urls_and_the_old_files_go_after_commit(client, make):
    course = make.course()
    first = store_course_thumbnail(course, image_bytes("PNG"))["version"]
    db.session.commit()
    second = store_course_thumbnail(course, image_bytes("PNG", color=(0, 0, 255)))["version"]
    assert first != second
    assert client.get(f"/thumbs/{course.id}/{first}/320.jpg").status_code == 200  # not before the commit
    db.session.commit()
    assert client.get(f"/thumbs/{course.id}/{first}/320.jpg").status_code == 404
    assert client.get(f"/thumbs/{course.id}/{second}/320.jpg").status_code == 200


def test_a_replacement_that_rolls_back_keeps_the_old_thumbnail(client, make):
    course = make.course()
    first = store_course_thumbnail(course, image_bytes("PNG"))["version"]
    db.session.commit()
    store_course_thumbnail(course, image_bytes("PNG", color=(0, 0, 255)))
    db.session.rollback()
    db.session.commit()
    assert client.get(f"/thumbs/{course.id}/{first}/320.jpg").status_code == 200


def test_cards_and_course_page_use_srcset_with_size_and_lazy_loading(client, make):
    course = make.course(title="With picture")
    version = store_course_thumbnail(course, image_bytes("JPEG"))["version"]
    db.session.commit()
    html = client.get("/courses").get_data(as_text=True)
    picture = re.search(r"<picture>.*?</picture>", html, re.S).group(0)
    assert f'<source type="image/webp" srcset="/thumbs/{course.id}/{version}/320.webp 320w' in picture
    assert 'width="320" height="180"' in picture and 'loading="lazy"' in picture and f"/{version}/640.jpg 640w" in picture
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "<picture>" in page


@pytest.mark.parametrize("path", ["/thumbs/{id}/{v}/321.jpg", "/thumbs/{id}/{v}/320.png", "/thumbs/{id}/zzz/320.jpg",
                                  "/thumbs/{id}/000000000000/320.jpg", "/thumbs/not-a-uuid/{v}/320.jpg"])
def test_thumbnail_route_answers_404_for_anything_not_stored(client, make, path):
    course = make.course()
    version = store_course_thumbnail(course, image_bytes("JPEG"))["version"]
    assert client.get(path.format(id=course.id, v=version)).status_code == 404
