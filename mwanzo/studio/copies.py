"""Reusing a course: duplicating it, exporting it as one archive and importing an archive as a new draft.

All three go through one description of a course, the manifest (``MANIFEST_VERSION``): its details,
sections (with their release conditions), lessons (with their captions and files) and quizzes (with their
questions and answers), each part named by a ``ref`` (its id where it came from). ``build_course`` is the
one way a manifest becomes rows:

- a duplicate is built from its original's manifest and keeps every stored key: the copy's videos, captions
  and files are the original's files, shared until either replaces them (deleting files asks
  ``courses.services.stored_files_in_use`` first, so one copy never removes the other's); its thumbnail
  files are copied, as they are named after the course;
- an export is the manifest as ``manifest.json`` plus every file it names under ``media/``;
- an import checks the archive whole before anything is written (size, entry names, zip bombs, schema
  version, every field), then builds the course with each file stored under the new lesson's folder. The
  rows are made in the caller's transaction and the files written are removed again if anything fails.

What a course is copied as: the approved version of a published course (held changes are not part of it),
a draft owned by the same instructor, with no learners, reviews or attempts. Original video uploads (the
source files) are not copied: lessons carry their processed renditions.
"""
from __future__ import annotations

import datetime as dt
import enum
import io
import itertools
import json
import posixpath
import re
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mwanzo import jobs
from mwanzo.auth.models import User
from mwanzo.courses import images
from mwanzo.database import utcnow
from mwanzo.courses.models import (Category, Course, CourseStatus, CourseTransfer, Lesson, LessonCaption, LessonKind,
                                   LessonResource, ProcessingStatus, Section, TransferKind, TransferStatus)
from mwanzo.courses.services import recompute_course_counters
from mwanzo.extensions import db
from mwanzo.jobs.tasks import delete_stored_files
from mwanzo.learning.models import SectionRelease
from mwanzo.media.delivery import content_type_for
from mwanzo.quizzes.models import Answer, Question, Quiz
from mwanzo.storage import get_storage
from mwanzo.studio.services import unique_slug

MANIFEST_VERSION = 1
FORMAT = "mwanzo-course"
MANIFEST_NAME = "manifest.json"
MEDIA_FOLDER = "media/"
MAX_MANIFEST_BYTES = 20 * 1024 * 1024

COURSE_FIELDS = ("title", "short_description", "description", "learning_objectives", "requirements", "price",
                 "original_price", "level", "language")
LESSON_FIELDS = ("title", "description", "kind", "body_markdown", "display_order", "duration_seconds",
                 "renditions", "download_bytes", "is_preview", "is_published", "processing_status")
LESSON_KEYS = ("media_prefix", "download_key", "poster_key")
CAPTION_FIELDS = ("language", "key", "bytes", "cues", "search_text")
RESOURCE_FIELDS = ("title", "filename", "kind", "key", "bytes")
NOT_COPIED = {"id", "created_at", "updated_at"}


class InvalidArchive(ValueError):
    """The archive cannot be imported; str(exc) tells the instructor why."""


# ---------------------------------------------------------------- values to JSON and back

def _plain(value):
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _copied_columns(model) -> list[sa.Column]:
    """A quiz part's own columns: every one but its id, timestamps and links (links are refs)."""
    return [column for column in sa.inspect(model).columns if column.key not in NOT_COPIED and not column.foreign_keys]


def _values(row, model=None) -> dict:
    return {column.key: _plain(getattr(row, column.key)) for column in _copied_columns(model or type(row))}


def _read(model, column_name: str, value, where: str):
    """One manifest value checked against its column's type; anything else is an InvalidArchive naming it."""
    column = sa.inspect(model).columns[column_name]
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance
    try:
        if value is None:
            if not column.nullable:
                raise ValueError
            return None
        if isinstance(kind, sa.Enum) and kind.enum_class is not None:
            return kind.enum_class(value)
        if isinstance(kind, sa.Boolean):
            if not isinstance(value, bool):
                raise ValueError
            return value
        if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
            return Decimal(str(value))
        if isinstance(kind, sa.Integer):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError
            return value
        if isinstance(kind, sa.DateTime):
            moment = dt.datetime.fromisoformat(value)
            if moment.tzinfo is None:  # every exported moment names its offset
                raise ValueError
            return moment
        if isinstance(kind, sa.String):  # Text too
            if not isinstance(value, str) or (kind.length and len(value) > kind.length):
                raise ValueError
            return value
        if isinstance(kind, sa.JSON):
            return value
        raise ValueError
    except (ValueError, TypeError, InvalidOperation):
        raise InvalidArchive(_("The archive's %(place)s has an unusable value for “%(field)s”.",
                               place=where, field=column_name)) from None


# ---------------------------------------------------------------- the manifest of a course

def course_manifest(course_id: uuid.UUID) -> dict:
    """The approved content of a course, as JSON-able data (ids become refs)."""
    course = db.session.scalar(select(Course).where(Course.id == course_id).options(
        selectinload(Course.category), selectinload(Course.sections).selectinload(Section.lessons)))
    lesson_ids = [lesson.id for section in course.sections for lesson in section.lessons]
    captions = _by(LessonCaption, "lesson_id", lesson_ids, LessonCaption.language)
    files = _by(LessonResource, "lesson_id", lesson_ids, LessonResource.created_at)
    rules = {rule.section_id: rule for rule in db.session.scalars(
        select(SectionRelease).where(SectionRelease.course_id == course.id))}
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)
                                 .order_by(Quiz.display_order, Quiz.created_at)
                                 .options(selectinload(Quiz.questions).selectinload(Question.answers))).all()
    renditions = course.thumbnail_renditions or {}
    return {
        "format": FORMAT, "schema_version": MANIFEST_VERSION,
        "course": {**{name: _plain(getattr(course, name)) for name in COURSE_FIELDS},
                   "category": course.category.slug, "ref": str(course.id),
                   "thumbnail": renditions if course.thumbnail_key and renditions.get("version") else None},
        "sections": [{
            "ref": str(section.id), "title": section.title, "display_order": section.display_order,
            "release": _release(rules.get(section.id)),
            "lessons": [{
                "ref": str(lesson.id), **{name: _plain(getattr(lesson, name)) for name in LESSON_FIELDS + LESSON_KEYS},
                "captions": [{name: getattr(c, name) for name in CAPTION_FIELDS} for c in captions.get(lesson.id, [])],
                "resources": [{name: _plain(getattr(r, name)) for name in RESOURCE_FIELDS}
                              for r in files.get(lesson.id, [])],
            } for lesson in section.lessons],
        } for section in course.sections],
        "quizzes": [{
            "ref": str(quiz.id), "section": str(quiz.section_id) if quiz.section_id else None, **_values(quiz),
            "questions": [_question_values(question) for question in quiz.questions],
        } for quiz in quizzes],
        "bank": [_question_values(question) for question in db.session.scalars(
            select(Question).where(Question.course_id == course.id, Question.quiz_id.is_(None))
            .order_by(Question.display_order, Question.created_at).options(selectinload(Question.answers)))],
    }


def _question_values(question: Question) -> dict:
    return {**_values(question), "answers": [_values(answer) for answer in question.answers]}


def _by(model, column: str, ids: list, order) -> dict:
    grouped: dict = {}
    for row in db.session.scalars(select(model).where(getattr(model, column).in_(ids)).order_by(order)):
        grouped.setdefault(getattr(row, column), []).append(row)
    return grouped


def _release(rule: SectionRelease | None) -> dict | None:
    if rule is None:
        return None
    return {"after_section": str(rule.after_section_id) if rule.after_section_id else None,
            "quiz": str(rule.quiz_id) if rule.quiz_id else None, "days_after_enrolment": rule.days_after_enrolment,
            "opens_at": _plain(rule.opens_at)}


def manifest_files(manifest: dict) -> list[str]:
    """Every stored key the manifest names: lessons' media folders (each file in them), captions, resources
    and the thumbnail's sizes."""
    storage = get_storage()
    keys: list[str] = []
    thumbnail = manifest["course"].get("thumbnail")
    if thumbnail:
        keys += [images.thumbnail_key(manifest["course"]["ref"], thumbnail["version"], width, ext)
                 for width in thumbnail.get("widths", []) for ext in images.FORMATS]
    for section in manifest["sections"]:
        for lesson in section["lessons"]:
            if lesson.get("media_prefix"):
                keys += list(storage.keys(lesson["media_prefix"]))
            keys += [lesson[name] for name in ("download_key", "poster_key") if lesson.get(name)]
            keys += [item["key"] for item in lesson["captions"] + lesson["resources"]]
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------- building a course from a manifest

def build_course(manifest: dict, owner: User, place_file: Callable[[str, str, bool], str],
                 title: str | None = None, new_id: Callable[[], uuid.UUID] = uuid.uuid4) -> Course:
    """A new draft owned by ``owner`` from a (checked) manifest. ``place_file(key, new_key, is_folder)``
    returns the key the new course uses for a file (or a lesson's media folder) the manifest names: the same
    key (a duplicate shares it) or ``new_key``, the file just written there (an import). ``new_id`` gives the
    course's id, then each lesson's in manifest order (an import job's are fixed, see ``import_ids``)."""
    details = manifest["course"]
    category = db.session.scalar(select(Category).where(Category.slug == details.get("category"))) or \
        db.session.scalar(select(Category).order_by(Category.display_order, Category.name))
    if category is None:
        raise InvalidArchive(_("This site has no course categories yet; an admin must add one first."))
    title = (title or details["title"])[:200]
    course = Course(id=new_id(), instructor_id=owner.id, status=CourseStatus.DRAFT, slug=unique_slug(title),
                    category_id=category.id, **{name: _read(Course, name, details.get(name), _("course"))
                                                for name in COURSE_FIELDS if name != "title"}, title=title)
    db.session.add(course)
    db.session.flush()
    thumbnail = details.get("thumbnail")
    if thumbnail:
        version = str(thumbnail["version"])
        for width in thumbnail.get("widths", []):
            for ext in images.FORMATS:
                old = images.thumbnail_key(details["ref"], version, width, ext)
                place_file(old, images.thumbnail_key(course.id, version, width, ext), False)
        course.thumbnail_key = f"courses/{course.id}/thumb/{version}"
        course.thumbnail_renditions = {"version": version, "widths": list(thumbnail.get("widths", []))}
    sections, quizzes = {}, {}
    for order, section_data in enumerate(manifest["sections"]):
        section = Section(course_id=course.id, display_order=order,
                          title=_read(Section, "title", section_data.get("title"), _("section")))
        db.session.add(section)
        db.session.flush()
        sections[section_data["ref"]] = section
        for lesson_data in section_data["lessons"]:
            _build_lesson(course, section, lesson_data, place_file, new_id())
    for order, quiz_data in enumerate(manifest["quizzes"]):
        quizzes[quiz_data["ref"]] = _build_quiz(course, quiz_data, sections, order)
    db.session.add_all(_build_question(course, data, _("question bank")) for data in manifest.get("bank", []))
    for section_data in manifest["sections"]:
        rule = section_data.get("release")
        if rule:
            after, quiz = sections.get(rule.get("after_section") or ""), quizzes.get(rule.get("quiz") or "")
            days, opens_at = (_read(SectionRelease, name, rule.get(name), _("release conditions"))
                              for name in ("days_after_enrolment", "opens_at"))
            if after or quiz or days or opens_at:
                db.session.add(SectionRelease(section_id=sections[section_data["ref"]].id, course_id=course.id,
                                              after_section_id=after and after.id, quiz_id=quiz and quiz.id,
                                              days_after_enrolment=days, opens_at=opens_at))
    db.session.flush()
    recompute_course_counters(course.id)
    return course


_LESSON_KEY = re.compile(r"^lessons/[^/]+(/.+)?$")


def _build_lesson(course: Course, section: Section, data: dict, place_file, lesson_id: uuid.UUID) -> Lesson:
    where = _("lesson “%(title)s”", title=str(data.get("title"))[:60])
    values = {name: _read(Lesson, name, data.get(name), where) for name in LESSON_FIELDS}
    if values["processing_status"] != ProcessingStatus.READY:
        values["processing_status"] = None  # a transcode in progress is not part of a copy
    lesson = Lesson(id=lesson_id, course_id=course.id, section_id=section.id, **values)
    db.session.add(lesson)
    db.session.flush()

    def moved(key: str | None, is_folder: bool = False) -> str | None:
        """The key in the new lesson's folder (lessons/<id>/...), whichever lesson's folder it was in."""
        below = _LESSON_KEY.match(key or "")
        if not key:
            return None
        if below is None or not _SAFE_KEY.match(key):
            raise InvalidArchive(_("The archive's %(place)s names a file outside the lessons' folders.",
                                   place=where))
        return place_file(key, f"lessons/{lesson.id}{below.group(1) or ''}", is_folder)

    if data.get("media_prefix"):
        old_prefix = data["media_prefix"]
        new_prefix = moved(old_prefix, is_folder=True)
        lesson.media_prefix = new_prefix
        lesson.renditions = [{**rendition, "playlist": new_prefix + rendition["playlist"][len(old_prefix):]}
                             for rendition in lesson.renditions or []
                             if isinstance(rendition, dict) and str(rendition.get("playlist", "")).startswith(
                                 old_prefix + "/")]
    lesson.download_key, lesson.poster_key = moved(data.get("download_key")), moved(data.get("poster_key"))
    if lesson.kind == LessonKind.VIDEO and lesson.processing_status == ProcessingStatus.READY and not (
            lesson.media_prefix and lesson.renditions):
        lesson.processing_status = None
    for caption in data.get("captions", []):
        db.session.add(LessonCaption(lesson_id=lesson.id, course_id=course.id, key=moved(caption.get("key")),
                                     **{name: _read(LessonCaption, name, caption.get(name), where)
                                        for name in CAPTION_FIELDS if name != "key"}))
    for resource in data.get("resources", []):
        db.session.add(LessonResource(lesson_id=lesson.id, course_id=course.id, key=moved(resource.get("key")),
                                      **{name: _read(LessonResource, name, resource.get(name), where)
                                         for name in RESOURCE_FIELDS if name != "key"}))
    return lesson


def _build_quiz(course: Course, data: dict, sections: dict, order: int) -> Quiz:
    where = _("quiz “%(title)s”", title=str(data.get("title"))[:60])
    section = sections.get(data.get("section") or "")
    quiz = Quiz(course_id=course.id, section_id=section and section.id,
                **{**_read_all(Quiz, data, where), "display_order": order})
    quiz.questions = [_build_question(course, question, where) for question in data.get("questions", [])]
    db.session.add(quiz)
    db.session.flush()
    return quiz


def _build_question(course: Course, data: dict, where: str) -> Question:
    question = Question(course_id=course.id, **_read_all(Question, data, where))
    question.answers = [Answer(**_read_all(Answer, answer, where)) for answer in data.get("answers", [])]
    return question


def _read_all(model, data: dict, where: str) -> dict:
    """The model's own columns the manifest has (one written by an older version may lack newer ones)."""
    return {column.key: _read(model, column.key, data[column.key], where)
            for column in _copied_columns(model) if column.key in data}


# ---------------------------------------------------------------- duplicate

def duplicate_course(course: Course, owner: User) -> Course:
    """A new draft with the same content, owned by ``owner``; media files shared, thumbnail files copied."""
    storage = get_storage()

    def share(key: str, new_key: str, is_folder: bool) -> str:
        if key.startswith("courses/"):  # thumbnails are named after their course: copy the few small files
            if storage.exists(key):
                with storage.open(key) as handle:
                    storage.save(new_key, io.BytesIO(handle.read()), content_type_for(key))
            return new_key
        return key

    return build_course(course_manifest(course.id), owner, share,
                        title=_("%(title)s (copy)", title=course.title))


# ---------------------------------------------------------------- export

def export_course(course: Course, target: BinaryIO) -> None:
    """Write the course as one zip archive to ``target``: manifest.json and media/<key> for each file."""
    manifest = course_manifest(course.id)
    storage = get_storage()
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(MANIFEST_NAME, json.dumps(manifest, ensure_ascii=False, indent=1),
                         compress_type=zipfile.ZIP_DEFLATED)
        for key in manifest_files(manifest):
            if not storage.exists(key):
                continue  # a thumbnail format never written, say: the import does without it
            with storage.open(key) as source, archive.open(MEDIA_FOLDER + key, "w", force_zip64=True) as sink:
                while chunk := source.read(1024 * 1024):
                    sink.write(chunk)


# ---------------------------------------------------------------- import

_SAFE_KEY = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


def max_archive_bytes() -> int:
    return current_app.config["MAX_COURSE_ARCHIVE_BYTES"]


def _open_archive(upload: BinaryIO) -> tuple[zipfile.ZipFile, dict, set[str]]:
    """The zip, its checked manifest and the media keys it holds; InvalidArchive before anything is written."""
    limit = max_archive_bytes()
    upload.seek(0, io.SEEK_END)
    if upload.tell() > limit:
        raise InvalidArchive(_("The archive is larger than %(megabytes)s MB.", megabytes=limit // 1024**2))
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise InvalidArchive(_("This is not a course archive (a zip file exported from Mwanzo).")) from None
    names, keys, total = set(), set(), 0
    for entry in entries:
        name = entry.filename
        if name in names:
            raise InvalidArchive(_("The archive holds “%(name)s” twice.", name=name[:100]))
        names.add(name)
        total += entry.file_size
        if entry.is_dir():
            continue
        key = name[len(MEDIA_FOLDER):] if name.startswith(MEDIA_FOLDER) else None
        if name != MANIFEST_NAME and (key is None or not _SAFE_KEY.match(key) or
                                      any(part in ("", ".", "..") for part in key.split("/"))):
            raise InvalidArchive(_("The archive holds a file with an unsafe or unexpected name: “%(name)s”.",
                                   name=name[:100]))
        if key:
            keys.add(key)
    if total > limit:  # what the entries say they unpack to; reading checks they do not unpack to more
        raise InvalidArchive(_("The archive unpacks to more than %(megabytes)s MB.", megabytes=limit // 1024**2))
    if MANIFEST_NAME not in names:
        raise InvalidArchive(_("The archive has no manifest.json: it was not exported from Mwanzo."))
    if archive.getinfo(MANIFEST_NAME).file_size > MAX_MANIFEST_BYTES:
        raise InvalidArchive(_("The archive's manifest.json is too large."))
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile):
        raise InvalidArchive(_("The archive's manifest.json cannot be read.")) from None
    _check_shape(manifest)
    return archive, manifest, keys


def _check_shape(manifest) -> None:
    """The manifest's outline (values are checked field by field as rows are made)."""
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidArchive(_("The archive's manifest.json is not a Mwanzo course."))
    version = manifest.get("schema_version")
    if version != MANIFEST_VERSION:
        raise InvalidArchive(_("The archive is in format %(found)s; this site reads format %(known)s. Export it "
                               "again from a site of the same version.", found=str(version)[:10],
                               known=MANIFEST_VERSION))
    course = manifest.get("course")
    ok = isinstance(course, dict) and isinstance(course.get("title"), str) and course["title"].strip() and \
        isinstance(course.get("ref"), str) and isinstance(manifest.get("sections"), list) and \
        isinstance(manifest.get("quizzes"), list)
    ok = ok and (course.get("thumbnail") is None or (
        isinstance(course["thumbnail"], dict) and isinstance(course["thumbnail"].get("version"), str) and
        _SAFE_KEY.match(course["thumbnail"]["version"]) and isinstance(course["thumbnail"].get("widths"), list) and
        all(width in images.WIDTHS for width in course["thumbnail"]["widths"])))
    for section in manifest.get("sections") or []:
        ok = ok and isinstance(section, dict) and isinstance(section.get("ref"), str) and \
            isinstance(section.get("lessons"), list) and (section.get("release") is None or
                                                           isinstance(section["release"], dict))
        for lesson in (section.get("lessons") or []) if ok else []:
            ok = ok and isinstance(lesson, dict) and _is_uuid(lesson.get("ref")) and \
                isinstance(lesson.get("captions", []), list) and isinstance(lesson.get("resources", []), list) and \
                isinstance(lesson.get("renditions") or [], list) and \
                all(isinstance(item, dict) for item in lesson.get("captions", []) + lesson.get("resources", [])) and \
                all(isinstance(lesson.get(name), (str, type(None))) for name in LESSON_KEYS)
    def questions_ok(questions) -> bool:
        return isinstance(questions, list) and all(
            isinstance(q, dict) and isinstance(q.get("answers", []), list) and
            all(isinstance(a, dict) for a in q.get("answers", [])) for q in questions)

    ok = ok and questions_ok(manifest.get("bank", []))
    for quiz in manifest.get("quizzes") or [] if ok else []:
        ok = ok and isinstance(quiz, dict) and isinstance(quiz.get("ref"), str) and \
            questions_ok(quiz.get("questions", []))
    if not ok:
        raise InvalidArchive(_("The archive's manifest.json is incomplete or damaged."))


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def import_course(upload: BinaryIO, owner: User, new_id: Callable[[], uuid.UUID] = uuid.uuid4) -> Course:
    """A new draft from an exported archive, in the caller's transaction. Raises InvalidArchive (nothing
    kept: the caller rolls back, the files written so far are removed here)."""
    archive, manifest, keys = _open_archive(upload)
    storage = get_storage()
    written: list[str] = []

    def unpack(key: str, new_key: str, is_folder: bool) -> str:
        if is_folder:  # a lesson's media folder: every file below it
            inside = sorted(k for k in keys if k.startswith(key + "/"))
            if not inside:
                raise InvalidArchive(_("The archive lacks the files of a lesson's video."))
            for item in inside:
                unpack(item, new_key + item[len(key):], False)
            return new_key
        if key not in keys:
            if key.startswith("courses/"):
                return new_key  # a thumbnail size the export did not have
            raise InvalidArchive(_("The archive lacks the file “%(name)s”.", name=posixpath.basename(key)[:100]))
        with archive.open(MEDIA_FOLDER + key) as source:
            storage.save(new_key, source, content_type_for(key))
        written.append(new_key)
        return new_key

    try:
        return build_course(manifest, owner, unpack, new_id=new_id)
    except (zipfile.BadZipFile, EOFError, OSError):
        _remove(written)
        raise InvalidArchive(_("The archive is damaged: a file in it cannot be unpacked.")) from None
    except Exception:
        _remove(written)
        raise


def _remove(keys: list[str]) -> None:
    storage = get_storage()
    for key in keys:
        storage.delete_prefix(key)


# ---------------------------------------------------------------- large archives: one job each

def course_bytes(course: Course) -> int:
    """About how much an export of the course weighs: its lessons' renditions, downloads, captions, files."""
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)).all()
    media = sum(sum(r.get("bytes") or 0 for r in lesson.renditions or [] if isinstance(r, dict)) +
                (lesson.download_bytes or 0) for lesson in lessons)
    extra = db.session.scalar(select(sa.func.coalesce(sa.func.sum(LessonResource.bytes), 0))
                              .where(LessonResource.course_id == course.id))
    return media + int(extra or 0)


def runs_as_job(size: int) -> bool:
    return size > current_app.config["COURSE_TRANSFER_INLINE_BYTES"]


def queue_export(course: Course, owner: User) -> CourseTransfer:
    """A large export: the job writes the archive to storage, the owner downloads it from the status page."""
    transfer = CourseTransfer(kind=TransferKind.EXPORT, owner_id=owner.id, course_id=course.id,
                              archive_key="", archive_name=f"{course.slug}.mwanzo.zip")
    db.session.add(transfer)
    db.session.flush()
    return transfer


def queue_import(upload: BinaryIO, owner: User) -> CourseTransfer:
    """A large import: checked as a whole here (a bad archive is refused at once), unpacked by the job. The
    upload is kept until the import is done, or for "try again" until it expires."""
    _open_archive(upload)
    transfer = CourseTransfer(kind=TransferKind.IMPORT, owner_id=owner.id, archive_key="", archive_name="import.zip",
                              expires_at=_keep_until())
    db.session.add(transfer)
    db.session.flush()
    transfer.archive_key = f"transfers/{transfer.id}/import.zip"
    upload.seek(0)
    get_storage().save(transfer.archive_key, upload, "application/zip")
    return transfer


def _keep_until():
    return utcnow() + dt.timedelta(hours=current_app.config["COURSE_TRANSFER_KEEP_HOURS"])


def import_ids(transfer: CourseTransfer) -> Callable[[], uuid.UUID]:
    """The ids an import job gives the course and its lessons: the same on every run of one transfer, so a
    run can find and remove the files an interrupted one wrote (they sit in those ids' folders)."""
    counter = itertools.count()
    return lambda: uuid.uuid5(transfer.id, str(next(counter)))


def _clear_partial(transfer: CourseTransfer, scratch: BinaryIO | None) -> None:
    """Remove what an earlier run of this transfer may have written before it stopped."""
    storage = get_storage()
    if transfer.kind == TransferKind.EXPORT:  # each run writes its own key, so a late removal never hits it
        storage.delete_prefix(f"transfers/{transfer.id}")
        transfer.archive_key = f"transfers/{transfer.id}/{transfer.attempts}/{transfer.archive_name}"
        return
    if scratch is None:
        return
    _, manifest, _ = _open_archive(scratch)
    ids = import_ids(transfer)
    storage.delete_prefix(f"courses/{ids()}")
    for _lesson in range(sum(len(section["lessons"]) for section in manifest["sections"])):
        storage.delete_prefix(f"lessons/{ids()}")


def run_transfer(transfer: CourseTransfer) -> None:
    """The job's work (the caller claimed the transfer and commits): DONE with the archive or the new draft,
    or FAILED with the reason, in the owner's language. Each run first removes what an interrupted run
    wrote, so running it again is safe; a failed import leaves no rows and no files."""
    owner = db.session.get(User, transfer.owner_id)
    storage = get_storage()
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]), \
            tempfile.TemporaryFile() as scratch:
        if transfer.kind == TransferKind.EXPORT:
            course = db.session.get(Course, transfer.course_id)
            if course is None:
                transfer.status, transfer.error = TransferStatus.FAILED, _("The course was deleted.")
                return
            _clear_partial(transfer, None)
            if transfer.attempts > current_app.config["COURSE_TRANSFER_MAX_ATTEMPTS"]:
                return gave_up(transfer)
            export_course(course, scratch)
            scratch.seek(0)
            storage.save(transfer.archive_key, scratch, "application/zip")
            transfer.status, transfer.error, transfer.expires_at = TransferStatus.DONE, None, _keep_until()
            return
        with storage.open(transfer.archive_key) as source:
            shutil.copyfileobj(source, scratch)
        try:
            _clear_partial(transfer, scratch)
            if transfer.attempts > current_app.config["COURSE_TRANSFER_MAX_ATTEMPTS"]:
                return gave_up(transfer)
            with db.session.begin_nested():
                course = import_course(scratch, owner, new_id=import_ids(transfer))
        except InvalidArchive as exc:
            transfer.status, transfer.error = TransferStatus.FAILED, str(exc)
        else:
            transfer.status, transfer.course_id, transfer.error = TransferStatus.DONE, course.id, None
        jobs.enqueue(delete_stored_files, transfer.archive_key)  # the upload has served its purpose
        transfer.archive_key, transfer.expires_at = "", None


def gave_up(transfer: CourseTransfer) -> None:
    transfer.status = TransferStatus.FAILED
    transfer.error = _("The job stopped several times without finishing.")


def fail_transfer(transfer: CourseTransfer) -> None:
    """A run that broke off on an error not the archive's (storage unreachable, a full disk): FAILED, its
    partial files removed when storage allows (else the next run removes them), and it may be tried again."""
    owner = db.session.get(User, transfer.owner_id)
    with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        transfer.status = TransferStatus.FAILED
        transfer.error = _("The job stopped on an error before it finished.")
    if transfer.kind == TransferKind.EXPORT:  # a partial archive, removed by the sweep unless tried again
        transfer.expires_at = _keep_until()


def can_retry(transfer: CourseTransfer) -> bool:
    """A failed export whose course still exists, or a failed import whose upload is still kept."""
    if transfer.status != TransferStatus.FAILED:
        return False
    if transfer.kind == TransferKind.EXPORT:
        return transfer.course_id is not None
    return bool(transfer.archive_key)


def retry_transfer(transfer: CourseTransfer) -> bool:
    """FAILED → QUEUED once (one conditional UPDATE: a double click queues one job); False if not allowed."""
    if not can_retry(transfer):
        return False
    moved = db.session.execute(
        sa.update(CourseTransfer).where(CourseTransfer.id == transfer.id, CourseTransfer.status == TransferStatus.FAILED)
        .values(status=TransferStatus.QUEUED, attempts=0, error=None, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.refresh(transfer)
    return moved.rowcount == 1


def requeue_stalled_transfers() -> list[str]:
    """RUNNING transfers untouched for COURSE_TRANSFER_STALL_SECONDS lost their worker: back to QUEUED (the
    caller sends their jobs; a job gives up after COURSE_TRANSFER_MAX_ATTEMPTS starts)."""
    limit = utcnow() - dt.timedelta(seconds=current_app.config["COURSE_TRANSFER_STALL_SECONDS"])
    stalled = list(db.session.scalars(select(CourseTransfer).where(CourseTransfer.status == TransferStatus.RUNNING,
                                                                   CourseTransfer.updated_at < limit)))
    for transfer in stalled:
        transfer.status = TransferStatus.QUEUED
    db.session.flush()
    return [str(transfer.id) for transfer in stalled]


def expire_transfer_archives() -> int:
    """Remove archives past ``expires_at``: an export's download, an import's kept upload, a partial one
    (transfers made before archives expired count from their last change)."""
    now = utcnow()
    kept_since = now - dt.timedelta(hours=current_app.config["COURSE_TRANSFER_KEEP_HOURS"])
    expired = list(db.session.scalars(select(CourseTransfer).where(
        sa.or_(CourseTransfer.expires_at < now,
               sa.and_(CourseTransfer.expires_at.is_(None), CourseTransfer.updated_at < kept_since)),
        CourseTransfer.archive_key != "",
        CourseTransfer.status.in_((TransferStatus.DONE, TransferStatus.FAILED)))))
    for transfer in expired:
        jobs.enqueue(delete_stored_files, transfer.archive_key)
        transfer.archive_key = ""
    db.session.flush()
    return len(expired)
