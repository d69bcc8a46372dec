"""Edits to a published course, held as one pending revision until an admin approves them.

Why a revision rather than sending the course back to review: learners who enrolled keep the course, its
catalogue page and its search text exactly as approved while an edit waits, and nobody loses access.

Held for review (the words and pictures learners read or watch): the course's title, short description,
description, objectives, requirements and thumbnail; section titles; lesson titles, descriptions, text,
kind and reading time; captions uploaded for an approved lesson (the file is stored, the learners' captions and
transcript stay the approved ones) and files for learners added to it; new sections and lessons, with their videos. Applied at once (choices from fixed
lists and switches that add no new words or pictures): price and original price, category, level, language,
the order of sections and lessons, the free-preview and published switches of approved lessons, and deleting
sections, lessons, captions or files. Replacing the video of an approved lesson is refused: a new lesson goes to review.

Quizzes follow the same rule. Held: a quiz's title and instructions; a question's text, kind, points,
explanation and answers (their words and which are correct); new quizzes and new questions, which are real
rows that learners neither see, draw in an attempt nor need for completion until approval. Applied at once:
the pass mark, attempts, time limit, shuffling, required switch, when answers are shown, the quiz's section,
the order of questions, and deleting quizzes or questions. An attempt keeps the questions it was started with.

The pending revision itself: what is held, recording into it (studio and quiz authoring) and reading it
(learners take the approved version, the studio shows the draft). What an admin reads of it, the
old-against-new diff, is in ``mwanzo.studio.revisions``. No commits here; views commit once.
"""
from __future__ import annotations

import copy
import enum
import uuid
from decimal import Decimal

from sqlalchemy import select

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, CourseRevision, CourseStatus, RevisionStatus
from mwanzo.extensions import db

HELD_COURSE_FIELDS = ("title", "short_description", "description", "learning_objectives", "requirements")
HELD_LESSON_FIELDS = ("title", "description", "kind", "body_markdown", "duration_seconds")
THUMBNAIL_FIELDS = ("thumbnail_key", "thumbnail_renditions")
HELD_QUIZ_FIELDS = ("title", "instructions")
HELD_QUESTION_FIELDS = ("text", "kind", "points", "explanation", "numeric_answer", "numeric_tolerance", "answers")



def is_live(course: Course) -> bool:
    """Edits to this course are held for review."""
    return course.status == CourseStatus.PUBLISHED


def lock_course(course_id: uuid.UUID) -> None:
    """Instructor edits and admin decisions on one course take turns (FOR UPDATE on its row), so an edit can
    never land in a revision that is being approved."""
    db.session.execute(select(Course.id).where(Course.id == course_id).with_for_update())


def latest_revision(course_id: uuid.UUID) -> CourseRevision | None:
    return db.session.scalar(select(CourseRevision).where(CourseRevision.course_id == course_id)
                             .order_by(CourseRevision.created_at.desc()).limit(1))


def draft_revision(course_id: uuid.UUID) -> CourseRevision | None:
    """The revision the studio shows and edits: waiting for review, or just rejected (still editable)."""
    latest = latest_revision(course_id)
    return latest if latest is not None and latest.status != RevisionStatus.APPROVED else None


def draft_changes(course_id: uuid.UUID) -> dict:
    revision = draft_revision(course_id)
    return revision.changes if revision else {}


def _open_revision(course: Course, author: User) -> CourseRevision:
    """The PENDING revision to write into. After a rejection a new one starts from the rejected changes, so
    the instructor's work is kept and their next save sends it back to review."""
    lock_course(course.id)
    latest = latest_revision(course.id)
    if latest is not None and latest.status == RevisionStatus.PENDING:
        return latest
    changes = copy.deepcopy(latest.changes) if latest is not None and latest.status == RevisionStatus.REJECTED else {}
    revision = CourseRevision(course_id=course.id, author_id=author.id, status=RevisionStatus.PENDING,
                              changes=changes, version=1)
    db.session.add(revision)
    db.session.flush()
    return revision


def _plain(value):
    """JSON-able, and equal for equal values (1.50 and 1.5 alike)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value.value if isinstance(value, enum.Enum) else value


def _update(course: Course, author: User, edit) -> None:
    """Apply ``edit(changes)`` to a copy of the open revision's changes (JSON columns only notice a new
    value), bump its version; a revision left with nothing in it is dropped."""
    revision = _open_revision(course, author)
    changes = copy.deepcopy(revision.changes)
    edit(changes)
    changes = {key: value for key, value in changes.items() if value}
    if not changes:
        db.session.delete(revision)
    else:
        revision.changes, revision.author_id = changes, author.id
        revision.version += 1
    db.session.flush()


def _hold(course: Course, author: User, path: tuple[str, ...], proposed: dict, live: dict) -> None:
    """Keep in the revision the proposed values that differ from the live ones, at ``path``."""
    differing = {name: _plain(value) for name, value in proposed.items() if _plain(value) != _plain(live[name])}

    def edit(changes: dict) -> None:
        bucket = changes
        for part in path[:-1]:
            bucket = bucket.setdefault(part, {})
        if differing:
            bucket[path[-1]] = differing
        else:
            bucket.pop(path[-1], None)

    _update(course, author, edit)


def hold_course_details(course: Course, author: User, proposed: dict) -> None:
    _hold(course, author, ("course",), proposed, {name: getattr(course, name) for name in proposed})


def hold_thumbnail(course: Course, author: User, proposed: dict) -> str | None:
    """Hold a new thumbnail; returns the version of a replaced pending one, whose files may go."""
    replaced = draft_changes(course.id).get("thumbnail", {}).get("thumbnail_renditions", {}).get("version")
    _hold(course, author, ("thumbnail",), proposed, {name: getattr(course, name) for name in THUMBNAIL_FIELDS})
    return replaced


def hold_section_title(course: Course, section, author: User, title: str) -> None:
    _hold(course, author, ("sections", str(section.id)), {"title": title}, {"title": section.title})


def hold_lesson(course: Course, lesson, author: User, proposed: dict) -> None:
    _hold(course, author, ("lessons", str(lesson.id)), proposed, {name: getattr(lesson, name) for name in proposed})


def _hold_lesson_file(course: Course, lesson, author: User, group: str, name: str, stored: dict | None) -> str | None:
    """Hold a stored file of a lesson under ``changes[group][lesson id][name]``, or drop it (None). Returns
    the key of the held file this replaces, which may go once committed."""
    replaced = draft_changes(course.id).get(group, {}).get(str(lesson.id), {}).get(name, {}).get("key")

    def edit(changes: dict) -> None:
        files = changes.setdefault(group, {}).setdefault(str(lesson.id), {})
        if stored:
            files[name] = stored
        else:
            files.pop(name, None)
        if not files:
            changes[group].pop(str(lesson.id))

    _update(course, author, edit)
    return replaced


def hold_captions(course: Course, lesson, author: User, language: str, stored: dict | None) -> str | None:
    """A lesson's new captions in one language (``{"key", "bytes"}`` of the stored file), or None to drop them."""
    return _hold_lesson_file(course, lesson, author, "captions", language, stored)


def held_captions(course_id: uuid.UUID, lesson_id: uuid.UUID) -> dict[str, dict]:
    """The captions of a lesson waiting for review, by language."""
    return draft_changes(course_id).get("captions", {}).get(str(lesson_id), {})


def hold_resource(course: Course, lesson, author: User, resource_id: str, stored: dict | None) -> str | None:
    """A new file for learners (media.resources.store_resource's record), under the id its row will take,
    or None to drop it."""
    return _hold_lesson_file(course, lesson, author, "resources", resource_id, stored)


def held_resources(course_id: uuid.UUID, lesson_id: uuid.UUID) -> dict[str, dict]:
    """The files of a lesson waiting for review, by the id their rows will take."""
    return draft_changes(course_id).get("resources", {}).get(str(lesson_id), {})


def answer_values(answers) -> list[dict]:
    """Answers as the revision keeps them (from rows or drafts alike)."""
    return [{"text": answer.text, "is_correct": answer.is_correct, "match_text": answer.match_text}
            for answer in answers]


def hold_quiz(course: Course, quiz, author: User, proposed: dict) -> None:
    _hold(course, author, ("quizzes", str(quiz.id)), proposed, {name: getattr(quiz, name) for name in proposed})


def question_values(question) -> dict:
    """A question's held fields as the revision keeps them."""
    values = {name: _plain(getattr(question, name)) for name in HELD_QUESTION_FIELDS if name != "answers"}
    return {**values, "answers": answer_values(question.answers)}


def hold_question(course: Course, question, author: User, proposed: dict) -> None:
    _hold(course, author, ("questions", str(question.id)), proposed, question_values(question))


def drafted_answers(changes: dict, question) -> list[dict]:
    """A question's answers as the studio shows them, the draft's when it has some."""
    return changes.get("questions", {}).get(str(question.id), {}).get("answers") or answer_values(question.answers)


def is_new_question(changes: dict, question) -> bool:
    """Added since approval, alone or with its quiz: edited in place, hidden from learners until approval."""
    return is_new(changes, "new_questions", question.id) or is_new(changes, "new_quizzes", question.quiz_id)


def unapproved_quiz_parts(course_id: uuid.UUID) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """The ids of the quizzes and questions added to the live course that wait for review."""
    changes = draft_changes(course_id)
    return ({uuid.UUID(item) for item in changes.get("new_quizzes", {})},
            {uuid.UUID(item) for item in changes.get("new_questions", {})})


def add_new(course: Course, author: User, kind: str, item_id: uuid.UUID, visible: bool = True) -> None:
    """Record a section ("new_sections"), lesson ("new_lessons"), quiz ("new_quizzes") or question
    ("new_questions") added to the live course."""
    def edit(changes: dict) -> None:
        changes.setdefault(kind, {})[str(item_id)] = visible

    _update(course, author, edit)


def is_new(changes: dict, kind: str, item_id: uuid.UUID) -> bool:
    return str(item_id) in changes.get(kind, {})


def drafted(changes: dict):
    """A template helper: the value the studio shows for a field, the draft's when it has one."""
    def value(item, name: str):
        if isinstance(item, Course):
            bucket = changes.get("course", {})
        else:
            bucket = changes.get(f"{item.__tablename__}", {}).get(str(item.id), {})
        return bucket.get(name, getattr(item, name))

    return value
