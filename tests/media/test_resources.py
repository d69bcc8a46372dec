"""Files attached to lessons: recognised by their bytes, size-limited, listed with their size, downloaded
through signed URLs by those who may open the lesson and by nobody else."""
from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import select

from mwanzo.courses.models import LessonResource, ResourceKind
from mwanzo.extensions import db
from mwanzo.media import resources
from mwanzo.storage import get_storage
from mwanzo.web.filters import format_bytes
from tests.learning.test_lesson_page import learner_in


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 280), (255, 255, 255)).save(buffer, format="PDF")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    """A minimal, valid Office Open XML workbook with one sheet."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml",
                         '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                         '<Default Extension="xml" ContentType="application/xml"/>'
                         '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                         '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
        archive.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
                         '<sheet name="Stock" sheetId="1" r:id="rId1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels", f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                         f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        archive.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>'
                         '<row r="1"><c r="A1" t="inlineStr"><is><t>Sukari</t></is></c></row></sheetData></worksheet>')
    return buffer.getvalue()


def odp_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.presentation")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def owner(make, login):
    return login(make.instructor())


def upload(client, lesson, data: bytes, filename: str, title="Stock sheet"):
    return client.post(f"/studio/lessons/{lesson.id}/resources",
                       data={"title": title, "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


@pytest.mark.parametrize("data, kind, extension", [
    (pdf_bytes(), ResourceKind.PDF, "pdf"), (xlsx_bytes(), ResourceKind.SPREADSHEET, "xlsx"),
    (odp_bytes(), ResourceKind.SLIDES, "odp"),
])
def test_the_kind_is_read_from_the_bytes_whatever_the_name(client, make, owner, data, kind, extension):
    lesson = make.lesson(make.section(make.draft_course(owner)))
    assert upload(client, lesson, data, "download.bin").status_code == 302
    resource = db.session.scalar(select(LessonResource))
    assert resource.kind == kind and resource.key.endswith(f".{extension}") and resource.bytes == len(data)
    assert resource.filename == f"Stock-sheet.{extension}"
    with get_storage().open(resource.key) as handle:
        assert handle.read() == data


@pytest.mark.parametrize("data, filename, message", [
    (png_bytes(), "slides.pdf", "Upload a PDF, slides"),
    (b"PK\x03\x04 not really a zip", "sheet.xlsx", "Upload a PDF, slides"),
    (b"%PDF-" + b"0" * resources.MAX_RESOURCE_BYTES, "big.pdf", "larger than 10 MB"),
])
def test_other_files_are_refused_with_a_field_error(client, make, owner, data, filename, message):
    lesson = make.lesson(make.section(make.draft_course(owner)))
    response = upload(client, lesson, data, filename)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(LessonResource)) is None


def test_only_the_owner_adds_or_removes_and_removal_deletes_the_file(client, make, owner):
    theirs = make.lesson(make.section(make.draft_course(make.instructor())))
    assert upload(client, theirs, pdf_bytes(), "a.pdf").status_code == 404
    lesson = make.lesson(make.section(make.draft_course(owner)))
    upload(client, lesson, pdf_bytes(), "a.pdf")
    resource = db.session.scalar(select(LessonResource))
    assert client.post(f"/studio/lessons/{theirs.id}/resources/{resource.id}/delete").status_code == 404
    assert client.post(f"/studio/lessons/{lesson.id}/resources/{resource.id}/delete").status_code == 302
    assert db.session.scalar(select(LessonResource)) is None and not get_storage().exists(resource.key)


def attached(make, **lesson_fields):
    course = make.course()
    lesson = make.lesson(make.section(course), **lesson_fields)
    resource = resources.add_resource(lesson, "Bei za sukari", io.BytesIO(xlsx_bytes()))
    db.session.commit()
    return course, lesson, resource


def test_enrolled_learners_see_the_size_and_download_through_a_signed_url(client, login, make):
    course, lesson, resource = attached(make)
    login(learner_in(make, course))
    page = client.get(f"/learn/{course.slug}/lessons/{lesson.id}").get_data(as_text=True)
    assert f"Bei za sukari</a> <span class=\"meta\">Spreadsheet · {format_bytes(resource.bytes)}</span>" in page
    response = client.get(f"/learn/{course.slug}/lessons/{lesson.id}/files/{resource.id}")
    assert response.status_code == 302 and "/media/" in response.location and "sig=" in response.location
    download = client.get(response.location)
    assert download.get_data() == xlsx_bytes() and 'filename="Bei-za-sukari.xlsx"' in download.headers[
        "Content-Disposition"]


def test_visitors_and_learners_of_other_courses_are_refused(client, login, make):
    course, lesson, resource = attached(make)
    url = f"/learn/{course.slug}/lessons/{lesson.id}/files/{resource.id}"
    assert client.get(url).status_code == 403  # not signed in
    other_course, other_lesson, _other = attached(make)
    login(learner_in(make, other_course))
    assert client.get(url).status_code == 403
    # their own lesson's address does not lead to another lesson's file
    assert client.get(f"/learn/{other_course.slug}/lessons/{other_lesson.id}/files/{resource.id}").status_code == 404


def test_a_free_preview_lesson_shares_its_files(client, make):
    course, lesson, resource = attached(make, is_preview=True)
    assert client.get(f"/learn/{course.slug}/lessons/{lesson.id}/files/{resource.id}").status_code == 302


def test_the_file_form_needs_its_csrf_token(client, make, owner, csrf_enabled):
    lesson = make.lesson(make.section(make.draft_course(owner)))
    assert upload(client, lesson, pdf_bytes(), "a.pdf").status_code in (400, 422)
    assert db.session.scalar(select(LessonResource)) is None
