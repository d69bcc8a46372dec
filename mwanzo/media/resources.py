"""Files attached to lessons: PDFs, slides and spreadsheets, recognised by their bytes, never their names.

A PDF starts with ``%PDF-``. Office Open XML (.pptx, .xlsx) and OpenDocument (.odp, .ods) files are ZIP
archives: only the archive's directory (and OpenDocument's tiny ``mimetype`` member) is read to tell slides
from a spreadsheet, so a ZIP bomb is never inflated. Anything else is refused.
"""
from __future__ import annotations

import os
import re
import uuid
import zipfile
from typing import BinaryIO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileSize
from sqlalchemy import select

from mwanzo.courses.models import Lesson, LessonResource, ResourceKind
from mwanzo.extensions import db
from mwanzo.jobs.tasks import delete_with_file
from mwanzo.storage import get_storage

MAX_RESOURCE_BYTES = 10 * 1024 * 1024  # below the request limit (MAX_REQUEST_BYTES), so the form can say it
MAX_RESOURCE_MEGABYTES = MAX_RESOURCE_BYTES // 1024**2
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
_OPEN_DOCUMENT = {CONTENT_TYPES["odp"]: ("odp", ResourceKind.SLIDES), CONTENT_TYPES["ods"]: ("ods", ResourceKind.SPREADSHEET)}


def upload_validators() -> list:
    return [FileSize(MAX_RESOURCE_BYTES, message=_l("The file is larger than %(megabytes)s MB.",
                                                     megabytes=MAX_RESOURCE_MEGABYTES))]


class InvalidResource(ValueError):
    """Not a file learners may be sent; str(exc) tells the instructor why."""


def identify(upload: BinaryIO) -> tuple[str, ResourceKind, int]:
    """(extension, kind, size) of an uploaded file, read from its bytes. Raises InvalidResource."""
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    if size > MAX_RESOURCE_BYTES:
        raise InvalidResource(_("The file is larger than %(megabytes)s MB.", megabytes=MAX_RESOURCE_MEGABYTES))
    if size == 0:
        raise InvalidResource(_("The file is empty."))
    head = upload.read(8)
    upload.seek(0)
    found = None
    if head.startswith(b"%PDF-"):
        found = ("pdf", ResourceKind.PDF)
    elif head.startswith(b"PK\x03\x04"):
        found = _office_kind(upload)
    upload.seek(0)
    if found is None:
        raise InvalidResource(_("Upload a PDF, slides (PowerPoint .pptx or OpenDocument .odp) or a spreadsheet "
                                "(Excel .xlsx or OpenDocument .ods)."))
    return (*found, size)


def _office_kind(upload: BinaryIO) -> tuple[str, ResourceKind] | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names and "ppt/presentation.xml" in names:
                return "pptx", ResourceKind.SLIDES
            if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
                return "xlsx", ResourceKind.SPREADSHEET
            if "mimetype" in names and archive.getinfo("mimetype").file_size < 100:
                return _OPEN_DOCUMENT.get(archive.read("mimetype").decode("ascii", "replace").strip())
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None


def download_name(title: str, extension: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", title).strip("-.")[:80] or "resource"
    return f"{stem}.{extension}"


def add_resource(lesson: Lesson, title: str, upload: BinaryIO) -> LessonResource:
    return apply_resource(lesson, store_resource(lesson, title, upload))


def store_resource(lesson: Lesson, title: str, upload: BinaryIO) -> dict:
    """The checked file stored in the lesson's folder, and what its row needs (kept as JSON while the file
    waits for review)."""
    extension, kind, size = identify(upload)
    key = f"{resources_prefix(lesson)}/{uuid.uuid4().hex[:12]}.{extension}"
    get_storage().save(key, upload, CONTENT_TYPES[extension])
    return {"key": key, "bytes": size, "title": title, "kind": kind.value, "filename": download_name(title, extension)}


def apply_resource(lesson: Lesson, stored: dict, resource_id: uuid.UUID | None = None) -> LessonResource:
    resource = LessonResource(id=resource_id or uuid.uuid4(), lesson_id=lesson.id, course_id=lesson.course_id,
                              title=stored["title"], kind=ResourceKind(stored["kind"]), key=stored["key"],
                              bytes=stored["bytes"], filename=stored["filename"])
    db.session.add(resource)
    db.session.flush()
    return resource


def lesson_resources(lesson_id: uuid.UUID) -> list[LessonResource]:
    return list(db.session.scalars(select(LessonResource).where(LessonResource.lesson_id == lesson_id)
                                   .order_by(LessonResource.created_at)))


def remove_resource(lesson: Lesson, resource_id: uuid.UUID) -> bool:
    resource = db.session.get(LessonResource, resource_id)
    if resource is None or resource.lesson_id != lesson.id:
        return False
    delete_with_file(resource, resource.key)
    return True


def resources_prefix(lesson: Lesson) -> str:
    return f"lessons/{lesson.id}/resources"
