"""What an admin reads of a course's pending revision: old against new for every held change.

The revision itself (what is held, recording into it, reading it) is ``mwanzo.courses.revisions``.
"""
from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mwanzo.courses.models import Course, CourseRevision, LessonCaption
from mwanzo.courses.revisions import HELD_LESSON_FIELDS, HELD_QUIZ_FIELDS, is_new, is_new_question, question_values
from mwanzo.extensions import db
from mwanzo.media import captions
from mwanzo.quizzes.models import Question, Quiz
from mwanzo.web.filters import format_bytes

LABELS = {
    "title": _l("Title"), "short_description": _l("Short description"), "description": _l("Description"),
    "learning_objectives": _l("What learners will be able to do"), "requirements": _l("Requirements"),
    "kind": _l("Kind"), "body_markdown": _l("Text"), "duration_seconds": _l("Reading time in seconds"),
    "instructions": _l("Instructions"), "text": _l("Question"), "points": _l("Points"),
    "explanation": _l("Explanation"), "answers": _l("Answers ([x] marks a correct one)"),
    "numeric_answer": _l("Numeric answer"), "numeric_tolerance": _l("Tolerance"),
    "captions": _l("Captions, one line each"), "file": _l("File"),
}


class RevisionChanged(Exception):
    """The revision was edited or decided since the admin opened it."""


# ---------------------------------------------------------------- what the admin reads

@dataclass
class FieldChange:
    label: str
    lines: list[tuple[str, str]]  # ("-" old, "+" new or " " unchanged, line of text), escaped by the template


@dataclass
class ItemChanges:
    heading: str
    name: str | None = None  # the instructor's words: kept out of the translated heading, escaped when shown
    fields: list[FieldChange] = field(default_factory=list)


def _text(value) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):  # a question's answers
        return "\n".join(f"[{'x' if answer['is_correct'] else ' '}] {answer['text']}"
                         + (f" → {answer['match_text']}" if answer.get("match_text") else "") for answer in value)
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def _field_change(name: str, old, new) -> FieldChange:
    lines = [(line[0], line[2:]) for line in difflib.ndiff(_text(old).splitlines(), _text(new).splitlines())
             if line[0] in "-+ "]
    return FieldChange(str(LABELS.get(name, name)), lines)


def revision_diff(revision: CourseRevision, course: Course) -> list[ItemChanges]:
    """Old against new for every held change; ``course`` comes with its sections and lessons."""
    changes = revision.changes
    items = []
    course_changes = changes.get("course", {})
    if course_changes:
        items.append(ItemChanges(str(_l("Course details")), None, [
            _field_change(name, getattr(course, name), value) for name, value in course_changes.items()]))
    sections = {str(section.id): section for section in course.sections}
    lessons = {str(lesson.id): lesson for section in course.sections for lesson in section.lessons}
    for section_id, values in changes.get("sections", {}).items():
        if section_id in sections:
            items.append(ItemChanges(str(_l("Section")), None, [_field_change("title", sections[section_id].title,
                                                                          values["title"])]))
    for section_id in changes.get("new_sections", {}):
        if section_id in sections:
            items.append(ItemChanges(str(_l("New section")), None, [_field_change("title", None,
                                                                              sections[section_id].title)]))
    for lesson_id, values in changes.get("lessons", {}).items():
        if lesson_id in lessons:
            lesson = lessons[lesson_id]
            items.append(ItemChanges(str(_l("Lesson")), lesson.title, [
                _field_change(name, getattr(lesson, name), value) for name, value in values.items()]))
    for lesson_id in changes.get("new_lessons", {}):
        if lesson_id in lessons:
            lesson = lessons[lesson_id]
            items.append(ItemChanges(str(_l("New lesson")), lesson.title, [
                _field_change(name, None, getattr(lesson, name)) for name in HELD_LESSON_FIELDS
                if getattr(lesson, name) not in (None, "", 0)]))
    items.extend(_captions_diff(changes, lessons))
    items.extend(ItemChanges(str(_l("New file")), lessons[lesson_id].title,
                             [_field_change("file", None, f"{stored['filename']} · {format_bytes(stored['bytes'])}")])
                 for lesson_id, files in changes.get("resources", {}).items() if lesson_id in lessons
                 for stored in files.values())
    items.extend(_quiz_diff(changes, course.id))
    return items


def _captions_diff(changes: dict, lessons: dict) -> list[ItemChanges]:
    """Held captions: the words of the approved captions against the new file's, line by line."""
    held = {(lesson_id, language): stored for lesson_id, languages in changes.get("captions", {}).items()
            for language, stored in languages.items() if lesson_id in lessons}
    if not held:
        return []
    live = {(str(c.lesson_id), c.language): c for c in db.session.scalars(
        select(LessonCaption).where(LessonCaption.lesson_id.in_([uuid.UUID(i) for i, _ in held])))}
    items = []
    for (lesson_id, language), stored in held.items():
        old = live.get((lesson_id, language))
        new = captions.stored_captions(stored["key"], stored["bytes"])
        items.append(ItemChanges(str(_l("Captions (%(language)s)", language=captions.LANGUAGES[language])),
                                 lessons[lesson_id].title,
                                 [_field_change("captions", [cue[2] for cue in old.cues] if old else None,
                                                [cue.text for cue in new.cues])]))
    return items


def _quiz_diff(changes: dict, course_id: uuid.UUID) -> list[ItemChanges]:
    """The quizzes' held words, then their questions' and the question bank's."""
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course_id)
                                      .order_by(Quiz.display_order, Quiz.created_at)
                                      .options(selectinload(Quiz.questions).selectinload(Question.answers))))
    bank = list(db.session.scalars(select(Question).where(Question.course_id == course_id, Question.quiz_id.is_(None))
                                   .order_by(Question.display_order).options(selectinload(Question.answers))))
    items = []
    for quiz in quizzes:
        if is_new(changes, "new_quizzes", quiz.id):
            items.append(ItemChanges(str(_l("New quiz")), quiz.title, [
                _field_change(name, None, getattr(quiz, name)) for name in HELD_QUIZ_FIELDS if getattr(quiz, name)]))
        elif str(quiz.id) in changes.get("quizzes", {}):
            items.append(ItemChanges(str(_l("Quiz")), quiz.title, [
                _field_change(name, getattr(quiz, name), value)
                for name, value in changes["quizzes"][str(quiz.id)].items()]))
        items.extend(_question_diff(changes, quiz.questions, quiz.title))
    items.extend(_question_diff(changes, bank, str(_l("Question bank"))))
    return items


def _question_diff(changes: dict, questions: list[Question], where: str) -> list[ItemChanges]:
    items = []
    for question in questions:
        live = question_values(question)
        if is_new_question(changes, question):
            items.append(ItemChanges(str(_l("New question")), where, [
                _field_change(name, None, value) for name, value in live.items() if value]))
        elif str(question.id) in changes.get("questions", {}):
            items.append(ItemChanges(str(_l("Question")), where, [
                _field_change(name, live[name], value)
                for name, value in changes["questions"][str(question.id)].items()]))
    return items


def new_lessons(revision: CourseRevision, course: Course) -> list:
    """The new lessons of the revision still in the course (the admin watches or reads each)."""
    wanted = set(revision.changes.get("new_lessons", {}))
    return [lesson for section in course.sections for lesson in section.lessons if str(lesson.id) in wanted]


def pending_thumbnail(revision: CourseRevision, course: Course) -> SimpleNamespace | None:
    """The held thumbnail in the shape the catalogue's picture macro reads, or None."""
    held = revision.changes.get("thumbnail")
    return SimpleNamespace(id=course.id, thumbnail_renditions=held["thumbnail_renditions"]) if held else None
