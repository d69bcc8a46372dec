"""The instructor's course builder and the review workflow. No commits here; views commit once."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from mwanzo import cache, jobs
from mwanzo.audit import record
from mwanzo.auth.models import Role, User
from mwanzo.courses import images, revisions
from mwanzo.courses.models import (Course, CourseReviewDecision, CourseRevision, CourseStatus, Lesson, LessonCaption,
                                   LessonKind,
                                   RevisionStatus, Section)
from mwanzo.courses.services import change_slug, course_matches, recompute_course_counters
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import OwnEmail, notify
from mwanzo.jobs.tasks import delete_stored_files
from mwanzo.learning import release
from mwanzo.media import captions, resources
from mwanzo.sms.services import send_sms
from mwanzo.quizzes import services as quiz_services
from mwanzo.slugs import slugify
from mwanzo.studio.revisions import RevisionChanged
from mwanzo.urls import absolute_url


class NotFound(Exception):
    """No such revision to review, or it is no longer pending."""


class ReleaseOrderConflict(Exception):
    """A move would put a section before the section it waits for (the message says which)."""


class InvalidTransition(Exception):
    """The course's status does not allow this move."""


class ReviewRequired(Exception):
    """A published course's approved lesson cannot take a new video; a new lesson goes to review instead."""


class SubmissionIncomplete(Exception):
    def __init__(self, missing: list[str]):
        super().__init__("; ".join(missing))
        self.missing = missing


# ---------------------------------------------------------------- courses

def courses_of(user: User, query):
    """``query`` narrowed to the instructor's courses (an admin's: every course)."""
    return query if user.role == Role.ADMIN else query.where(Course.instructor_id == user.id)


def my_courses(user: User, criteria: dict):
    """The instructor's courses (every course for an admin: paged, and searchable by title), newest first,
    with their category."""
    query = courses_of(user, select(Course).options(selectinload(Course.category))
                       .order_by(Course.created_at.desc(), Course.id))
    if text := criteria.get("q"):
        query = query.where(course_matches(text))
    return query


def status_counts(user: User) -> dict[CourseStatus, int]:
    """How many of the instructor's courses are in each status, counted in SQL (one query)."""
    counts = {status: 0 for status in CourseStatus}
    rows = db.session.execute(courses_of(user, select(Course.status, func.count()).group_by(Course.status)))
    for status, count in rows:
        counts[status] = count
    return counts


def unique_slug(title: str, course_id: uuid.UUID | None = None) -> str:
    base = slugify(title, fallback="course")
    query = select(Course.slug).where(Course.slug.like(f"{base}%"))
    if course_id:
        query = query.where(Course.id != course_id)
    taken = set(db.session.scalars(query))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


COURSE_FIELDS = ("title", "short_description", "description", "learning_objectives", "requirements",
                 "category_id", "price", "original_price", "level", "language")


@dataclass
class CourseDetails:
    title: str
    short_description: str | None
    description: str
    learning_objectives: list[str]
    requirements: list[str]
    category_id: uuid.UUID
    price: Decimal
    original_price: Decimal | None
    level: str
    language: str


def create_course(instructor: User, details: CourseDetails) -> Course:
    course = Course(instructor_id=instructor.id, status=CourseStatus.DRAFT, slug=unique_slug(details.title))
    _apply_details(course, details)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, details: CourseDetails, author: User) -> None:
    """Save the course form. On a published course the text waits in its revision and the rest applies at
    once (see ``revisions``)."""
    if revisions.is_live(course):
        revisions.hold_course_details(course, author, {name: getattr(details, name)
                                                       for name in revisions.HELD_COURSE_FIELDS})
        for name in set(COURSE_FIELDS) - set(revisions.HELD_COURSE_FIELDS):
            setattr(course, name, getattr(details, name))
    else:
        if details.title != course.title:
            change_slug(course, unique_slug(details.title, course.id))
        _apply_details(course, details)
    db.session.flush()
    cache.bump_course(course.id)


def _apply_details(course: Course, details: CourseDetails) -> None:
    for name in COURSE_FIELDS:
        setattr(course, name, getattr(details, name))


def replace_thumbnail(course: Course, upload, author: User) -> None:
    """A new thumbnail: shown at once on a course not yet live, held for review on a published one."""
    if not revisions.is_live(course):
        images.store_course_thumbnail(course, upload)
        return
    replaced = revisions.hold_thumbnail(course, author, images.write_thumbnail(course.id, upload))
    if replaced:
        images.forget_thumbnail(course.id, replaced)


# ---------------------------------------------------------------- sections and lessons

def add_section(course: Course, title: str, author: User) -> Section:
    """A new section; on a published course learners see it once it has an approved lesson."""
    last = db.session.scalar(select(func.max(Section.display_order)).where(Section.course_id == course.id))
    section = Section(course_id=course.id, title=title, display_order=(last if last is not None else -1) + 1)
    db.session.add(section)
    db.session.flush()
    if revisions.is_live(course):
        revisions.add_new(course, author, "new_sections", section.id)
    return section


def rename_section(section: Section, title: str, author: User) -> None:
    course = db.session.get(Course, section.course_id)
    if revisions.is_live(course) and not revisions.is_new(revisions.draft_changes(course.id), "new_sections",
                                                           section.id):
        revisions.hold_section_title(course, section, author, title)
    else:
        section.title = title
    db.session.flush()
    cache.bump_course(course.id)


def delete_section(section: Section) -> None:
    prefixes = [lesson_media_prefixes(lesson) for lesson in
                db.session.scalars(select(Lesson).where(Lesson.section_id == section.id))]
    course_id = section.course_id
    db.session.delete(section)
    db.session.flush()
    recompute_course_counters(course_id)
    _delete_after_commit([p for group in prefixes for p in group])


def add_lesson(section: Section, title: str, kind: LessonKind, author: User) -> Lesson:
    """A new lesson; on a published course it stays unpublished until its revision is approved."""
    course = db.session.get(Course, section.course_id)
    live = revisions.is_live(course)
    last = db.session.scalar(select(func.max(Lesson.display_order)).where(Lesson.section_id == section.id))
    lesson = Lesson(course_id=section.course_id, section_id=section.id, title=title, kind=kind,
                    display_order=(last if last is not None else -1) + 1, is_published=not live,
                    body_markdown="" if kind == LessonKind.TEXT else None)
    db.session.add(lesson)
    db.session.flush()
    if live:
        revisions.add_new(course, author, "new_lessons", lesson.id)
    return lesson


@dataclass
class LessonDetails:
    title: str
    description: str | None
    kind: LessonKind
    body_markdown: str | None
    duration_minutes: int | None
    is_preview: bool
    is_published: bool


def update_lesson(lesson: Lesson, details: LessonDetails, author: User) -> bool:
    """Save the lesson form; returns True when its text waits for review (an approved lesson of a published
    course). A lesson new to a published course is edited in place but stays unpublished until approval."""
    # A text lesson's length is the instructor's reading-time estimate; a video's comes from the file.
    duration = (details.duration_minutes or 0) * 60 if details.kind == LessonKind.TEXT else lesson.duration_seconds
    text = {"title": details.title, "description": details.description, "kind": details.kind,
            "body_markdown": details.body_markdown, "duration_seconds": duration}
    course = db.session.get(Course, lesson.course_id)
    held = False
    if not revisions.is_live(course):
        _apply_lesson(lesson, text, details.is_published)
    elif revisions.is_new(revisions.draft_changes(course.id), "new_lessons", lesson.id):
        _apply_lesson(lesson, text, False)
        revisions.add_new(course, author, "new_lessons", lesson.id, details.is_published)
    else:
        revisions.hold_lesson(course, lesson, author, text)
        lesson.is_published = details.is_published
        held = bool(revisions.draft_changes(course.id).get("lessons", {}).get(str(lesson.id)))
    lesson.is_preview = details.is_preview
    db.session.flush()
    recompute_course_counters(lesson.course_id)
    return held


def _apply_lesson(lesson: Lesson, text: dict, published: bool) -> None:
    for name, value in text.items():
        setattr(lesson, name, value)
    lesson.is_published = published


def check_video_replaceable(lesson: Lesson) -> None:
    """On a published course only a lesson added since approval takes a video (it is reviewed with it)."""
    course = db.session.get(Course, lesson.course_id)
    if revisions.is_live(course) and not revisions.is_new(revisions.draft_changes(course.id), "new_lessons",
                                                           lesson.id):
        raise ReviewRequired


def delete_lesson(lesson: Lesson) -> None:
    prefixes = lesson_media_prefixes(lesson)
    course_id = lesson.course_id
    db.session.delete(lesson)
    db.session.flush()
    recompute_course_counters(course_id)
    _delete_after_commit(prefixes)


def holds_for_review(lesson: Lesson) -> Course | None:
    """The live course when a change to this approved lesson's words must wait for review, else None."""
    course = db.session.get(Course, lesson.course_id)
    if revisions.is_live(course) and not revisions.is_new(revisions.draft_changes(course.id), "new_lessons",
                                                          lesson.id):
        return course
    return None


def upload_captions(lesson: Lesson, language: str, upload, author: User) -> bool:
    """An instructor's captions file. Held for review on an approved lesson of a published course (learners
    keep the approved captions and transcript meanwhile; True), applied at once otherwise."""
    stored = captions.store_captions(lesson, language, upload)
    course = holds_for_review(lesson)
    if course is None:
        captions.apply_captions(lesson, language, stored)
        return False
    if replaced := revisions.hold_captions(course, lesson, author, language, {"key": stored.key,
                                                                              "bytes": stored.bytes}):
        jobs.enqueue(delete_stored_files, replaced)
    return True


def remove_lesson_captions(lesson: Lesson, language: str, author: User) -> bool:
    """Removing applies at once (as deleting a lesson does), the held captions in that language included."""
    held = revisions.held_captions(lesson.course_id, lesson.id).get(language)
    if held:
        revisions.hold_captions(db.session.get(Course, lesson.course_id), lesson, author, language, None)
        jobs.enqueue(delete_stored_files, held["key"])
    return captions.remove_captions(lesson, language) or bool(held)


def upload_resource(lesson: Lesson, title: str, upload, author: User) -> bool:
    """A file for learners. Held for review on an approved lesson of a published course (learners keep the
    approved files meanwhile; True), added at once otherwise."""
    stored = resources.store_resource(lesson, title, upload)
    course = holds_for_review(lesson)
    if course is None:
        resources.apply_resource(lesson, stored)
        return False
    revisions.hold_resource(course, lesson, author, str(uuid.uuid4()), stored)
    return True


def remove_lesson_resource(lesson: Lesson, resource_id: uuid.UUID, author: User) -> bool:
    """Removing applies at once, a file still waiting for review included."""
    held = revisions.held_resources(lesson.course_id, lesson.id).get(str(resource_id))
    if held:
        revisions.hold_resource(db.session.get(Course, lesson.course_id), lesson, author, str(resource_id), None)
        jobs.enqueue(delete_stored_files, held["key"])
        return True
    return resources.remove_resource(lesson, resource_id)


def _approved_lesson_files(course_id: uuid.UUID, changes: dict, group: str):
    """(lesson, name, stored) for each file an approved revision holds in ``group`` (lessons deleted
    meanwhile: skipped)."""
    held = changes.get(group, {})
    lessons = {str(lesson.id): lesson for lesson in db.session.scalars(
        select(Lesson).where(Lesson.course_id == course_id, Lesson.id.in_([uuid.UUID(i) for i in held])))}
    for lesson_id, files in held.items():
        for name, stored in files.items():
            if lesson_id in lessons:
                yield lessons[lesson_id], name, stored


def apply_approved_files(course_id: uuid.UUID, changes: dict) -> None:
    """An approved revision's captions and files become their lessons'."""
    for lesson, language, stored in _approved_lesson_files(course_id, changes, "captions"):
        captions.apply_captions(lesson, language, captions.stored_captions(stored["key"], stored["bytes"]))
    for lesson, resource_id, stored in _approved_lesson_files(course_id, changes, "resources"):
        resources.apply_resource(lesson, stored, uuid.UUID(resource_id))


def lesson_captions(lesson: Lesson) -> list:
    return list(db.session.scalars(select(LessonCaption).where(LessonCaption.lesson_id == lesson.id)
                                   .order_by(LessonCaption.language)))


def lesson_media_prefixes(lesson: Lesson) -> list[str]:
    keys = {lesson.media_prefix, lesson.source_key.rsplit("/", 1)[0] if lesson.source_key else None,
            captions.captions_prefix(lesson), resources.resources_prefix(lesson)}
    return [k for k in keys if k]


def _delete_after_commit(prefixes: list[str]) -> None:
    """The files of deleted lessons go only once the rows are gone (a job, sent after the commit)."""
    if prefixes:
        jobs.enqueue(delete_stored_files, *prefixes)


def move(item: Section | Lesson, direction: str) -> None:
    """Swap with the neighbour above or below; at either end nothing changes. Orders are renumbered
    0..n-1 so gaps or duplicates from older data cannot confuse the swap."""
    if isinstance(item, Section):
        siblings = list(db.session.scalars(select(Section).where(Section.course_id == item.course_id)
                                           .order_by(Section.display_order, Section.created_at)))
    else:
        siblings = list(db.session.scalars(select(Lesson).where(Lesson.section_id == item.section_id)
                                           .order_by(Lesson.display_order, Lesson.created_at)))
    index = siblings.index(item)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(siblings):
        siblings[index], siblings[other] = siblings[other], siblings[index]
    if isinstance(item, Section):
        conflict = release.order_conflict(siblings)
        if conflict:
            raise ReleaseOrderConflict(conflict)
    for order, sibling in enumerate(siblings):
        sibling.display_order = order
    db.session.flush()
    cache.bump_course(item.course_id)


# ---------------------------------------------------------------- review workflow

ALLOWED_MOVES: dict[CourseStatus, set[CourseStatus]] = {
    CourseStatus.DRAFT: {CourseStatus.PENDING_REVIEW},
    CourseStatus.REJECTED: {CourseStatus.PENDING_REVIEW},
    CourseStatus.PENDING_REVIEW: {CourseStatus.PUBLISHED, CourseStatus.REJECTED},
    # Taken down by an admin: back to the instructor, who may change it and submit it again.
    CourseStatus.PUBLISHED: {CourseStatus.REJECTED},
}


def change_course_status(course: Course, to: CourseStatus, actor: User, reason: str | None = None) -> None:
    """The one way a course changes status; records who, when and why in the course history."""
    if to not in ALLOWED_MOVES[course.status]:
        raise InvalidTransition(f"{course.status} → {to}")
    db.session.add(CourseReviewDecision(course_id=course.id, actor_id=actor.id, from_status=course.status,
                                        to_status=to, reason=reason))
    course.status = to
    if to == CourseStatus.PENDING_REVIEW:
        course.submitted_at = utcnow()
        course.rejection_reason = None
    elif to == CourseStatus.PUBLISHED:
        course.published_at = course.published_at or utcnow()
        course.rejection_reason = None
    elif to == CourseStatus.REJECTED:
        course.rejection_reason = reason
    db.session.flush()
    cache.bump_course(course.id)


def missing_for_submission(course: Course) -> list[str]:
    """What stops this course going to review, in words the instructor can act on."""
    missing = []
    if not any(any(lesson.is_ready for lesson in section.lessons) for section in course.sections):
        missing.append(_("At least one section with a ready lesson (a text lesson with content or a processed video)."))
    if not (course.description or "").strip():
        missing.append(_("A course description."))
    if not course.thumbnail_key:
        missing.append(_("A thumbnail image."))
    return missing


def submit_for_review(course: Course, actor: User) -> None:
    if course.status not in (CourseStatus.DRAFT, CourseStatus.REJECTED):
        raise InvalidTransition(course.status)
    missing = missing_for_submission(course)
    if missing:
        raise SubmissionIncomplete(missing)
    change_course_status(course, CourseStatus.PENDING_REVIEW, actor)


def approve(course: Course, admin: User) -> None:
    change_course_status(course, CourseStatus.PUBLISHED, admin)
    recompute_course_counters(course.id)
    _tell_instructor(course, "course_approved", True, course_url=absolute_url("catalog.course_detail", slug=course.slug))
    instructor = db.session.get(User, course.instructor_id)
    if instructor.phone and instructor.is_phone_verified:
        send_sms(instructor.phone, "course_approved", locale=instructor.locale, course=course.title[:80])


def reject(course: Course, admin: User, reason: str) -> None:
    if course.status != CourseStatus.PENDING_REVIEW:
        raise InvalidTransition(course.status)
    if not reason.strip():
        raise InvalidTransition("a reason is required")
    change_course_status(course, CourseStatus.REJECTED, admin, reason.strip())
    _tell_instructor(course, "course_rejected", False, reason=reason.strip(),
                     builder_url=absolute_url("studio.course_builder", course_id=course.id))


def take_down(course: Course, admin: User, reason: str) -> None:
    """Unpublish a published course: it leaves the catalog and new learners cannot enrol, while learners
    who already have access keep it (learning checks their enrolment, not the course's status). The
    instructor is emailed the reason and may resubmit."""
    if course.status != CourseStatus.PUBLISHED:
        raise InvalidTransition(course.status)
    if not reason.strip():
        raise InvalidTransition("a reason is required")
    change_course_status(course, CourseStatus.REJECTED, admin, reason.strip())
    record(admin, "course.taken_down", course, title=course.title, reason=reason.strip())
    _tell_instructor(course, "course_taken_down", False, reason=reason.strip(),
                     builder_url=absolute_url("studio.course_builder", course_id=course.id))


def course_history(course_id: uuid.UUID) -> list[CourseReviewDecision]:
    return list(db.session.scalars(
        select(CourseReviewDecision).where(CourseReviewDecision.course_id == course_id)
        .options(selectinload(CourseReviewDecision.actor)).order_by(CourseReviewDecision.created_at.desc())
    ))


def review_queue() -> list[Course]:
    return list(db.session.scalars(
        select(Course).where(Course.status == CourseStatus.PENDING_REVIEW)
        .options(selectinload(Course.instructor), selectinload(Course.category))
        .order_by(Course.submitted_at.asc().nulls_first(), Course.created_at)
    ))


# ---------------------------------------------------------------- revisions of published courses

def pending_revisions() -> list[CourseRevision]:
    return list(db.session.scalars(
        select(CourseRevision).where(CourseRevision.status == RevisionStatus.PENDING)
        .options(selectinload(CourseRevision.course).selectinload(Course.instructor),
                 selectinload(CourseRevision.author))
        .order_by(CourseRevision.updated_at)
    ))


def revision_for_review(revision_id: uuid.UUID) -> tuple[CourseRevision, Course]:
    """The revision and its course with the full curriculum (hidden and new lessons too); NotFound."""
    revision = db.session.get(CourseRevision, revision_id)
    if revision is None:
        raise NotFound
    course = db.session.scalar(select(Course).where(Course.id == revision.course_id).options(
        selectinload(Course.category), selectinload(Course.sections).selectinload(Section.lessons)))
    return revision, course


def _decide(revision_id: uuid.UUID, version: int, to: RevisionStatus, admin: User,
            reason: str | None) -> CourseRevision:
    """PENDING → APPROVED or REJECTED, only for the version the admin read: the course row is locked first,
    as every instructor edit does, so nothing slips in between reading and deciding."""
    revision = db.session.get(CourseRevision, revision_id)
    if revision is None:
        raise NotFound
    revisions.lock_course(revision.course_id)
    db.session.refresh(revision)
    if revision.status != RevisionStatus.PENDING or revision.version != version:
        raise RevisionChanged
    revision.status, revision.reviewer_id, revision.reason, revision.decided_at = to, admin.id, reason, utcnow()
    return revision


def approve_revision(revision_id: uuid.UUID, version: int, admin: User) -> Course:
    """Apply every held change to the live course at once (one transaction), then tell the instructor."""
    revision = _decide(revision_id, version, RevisionStatus.APPROVED, admin, None)
    changes = revision.changes
    course = db.session.get(Course, revision.course_id)
    details = changes.get("course", {})
    if details.get("title", course.title) != course.title:
        change_slug(course, unique_slug(details["title"], course.id))
    for name, value in details.items():
        setattr(course, name, value)
    if changes.get("thumbnail"):
        images.point_course_at(course, changes["thumbnail"])
    sections = {str(s.id): s for s in db.session.scalars(select(Section).where(Section.course_id == course.id))}
    for section_id, values in changes.get("sections", {}).items():
        if section_id in sections:
            sections[section_id].title = values["title"]
    lessons = {str(item.id): item for item in db.session.scalars(select(Lesson).where(Lesson.course_id == course.id))}
    for lesson_id, values in changes.get("lessons", {}).items():
        if lesson_id in lessons:
            for name, value in values.items():
                setattr(lessons[lesson_id], name, LessonKind(value) if name == "kind" else value)
    for lesson_id, visible in changes.get("new_lessons", {}).items():
        if lesson_id in lessons:
            lessons[lesson_id].is_published = visible
    quiz_services.apply_approved(course.id, changes)
    apply_approved_files(course.id, changes)
    recompute_course_counters(course.id)
    record(admin, "course_revision.approved", revision, course_id=course.id, title=course.title)
    _tell_instructor(course, "course_changes_approved", True,
                     course_url=absolute_url("catalog.course_detail", slug=course.slug))
    return course


def reject_revision(revision_id: uuid.UUID, version: int, admin: User, reason: str) -> Course:
    """The live course stays as approved; the instructor keeps the draft to edit and is told why."""
    revision = _decide(revision_id, version, RevisionStatus.REJECTED, admin, reason.strip())
    course = db.session.get(Course, revision.course_id)
    db.session.flush()
    record(admin, "course_revision.rejected", revision, course_id=course.id, reason=reason.strip())
    _tell_instructor(course, "course_changes_rejected", False, reason=reason.strip(),
                     builder_url=absolute_url("studio.course_builder", course_id=course.id))
    return course


def _tell_instructor(course: Course, template: str, approved: bool, **context) -> None:
    """A line in the instructor's inbox pointing at the course or its builder, emailed as the decision's own email."""
    notify(course.instructor_id, NotificationKind.COURSE_DECISION, context.get("course_url") or context["builder_url"],
           OwnEmail(template, {"course": course, **context}), course=course.title, approved=approved)
