"""Release conditions: which sections of a course are still closed to a learner, why, and when they open.

``section_locks`` is the one rule. Every learner route goes through it: the lesson page and its outline, HLS
playlists, the MP4 and its download, captions and transcripts, resources, progress saves, completion, and
quiz pages and attempts. A section opens when every condition set on it holds (SectionRelease). Its
instructor and admins are never locked out, and a free-preview lesson stays open to everyone (it is on the
public course page anyway).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask_babel import format_datetime, gettext as _, ngettext
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from mwanzo import cache
from mwanzo.auth.access import acts_for
from mwanzo.auth.models import User
from mwanzo.courses.models import Course, Lesson, Section
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, SectionRelease, VideoProgress
from mwanzo.quizzes.models import Quiz, QuizAttempt


@dataclass(frozen=True)
class SectionLock:
    """What still holds a section closed for one learner: each field is an unmet condition."""

    after_section: str | None = None  # title of the section to finish first
    quiz: str | None = None  # title of the quiz to pass first
    days_after_enrolment: int | None = None  # drip, for someone not enrolled: this many days after enrolling
    opens_at: datetime | None = None  # the moment it opens: the set date or, once enrolled, the drip's (the later)


def course_rules(course_id: uuid.UUID, section_ids: list[uuid.UUID] | None = None) -> list[SectionRelease]:
    query = select(SectionRelease).where(SectionRelease.course_id == course_id)
    if section_ids is not None:
        query = query.where(SectionRelease.section_id.in_(section_ids))
    return list(db.session.scalars(query))


def section_locks(user: User | None, course: Course, enrollment: Enrollment | None,
                  rules: list[SectionRelease] | None = None, now: datetime | None = None) -> dict[uuid.UUID, SectionLock]:
    """The sections of ``course`` still closed to ``user``, by section id (open sections are absent).

    ``rules`` are the course's SectionRelease rows when the caller has them (a lesson route loads its
    section's rule with the lesson), else they are read. No rule, no further query."""
    if acts_for(user, course.instructor_id):
        return {}
    if rules is None:
        rules = course_rules(course.id)
    rules = [rule for rule in rules if rule.after_section_id or rule.quiz_id or rule.days_after_enrolment
             or rule.opens_at]
    if not rules:
        return {}
    student_id = user.id if user is not None and user.is_authenticated else None
    unfinished, section_titles = _unfinished_sections(student_id, {r.after_section_id for r in rules} - {None})
    unpassed, quiz_titles = _unpassed_quizzes(student_id, {r.quiz_id for r in rules} - {None})
    now = now or utcnow()
    started = enrollment.activated_at if enrollment is not None and enrollment.grants_access else None
    locks = {}
    for rule in rules:
        days = rule.days_after_enrolment
        drip_at = started + timedelta(days=days) if days and started else None
        waits = [moment for moment in (drip_at, rule.opens_at) if moment is not None and moment > now]
        lock = SectionLock(
            after_section=section_titles[rule.after_section_id] if rule.after_section_id in unfinished else None,
            quiz=quiz_titles[rule.quiz_id] if rule.quiz_id in unpassed else None,
            days_after_enrolment=days if days and drip_at is None else None,
            opens_at=max(waits, default=None))
        if lock != SectionLock():
            locks[rule.section_id] = lock
    return locks


def _unfinished_sections(student_id, section_ids: set) -> tuple[set, dict]:
    """Of these sections, those with a ready lesson the learner has not completed; and every one's title."""
    if not section_ids:
        return set(), {}
    done = aliased(VideoProgress)
    rows = db.session.execute(
        select(Section.id, Section.title, func.count(Lesson.id), func.count(done.id))
        .outerjoin(Lesson, and_(Lesson.section_id == Section.id, Lesson.is_ready))
        .outerjoin(done, and_(done.lesson_id == Lesson.id, done.student_id == student_id, done.completed.is_(True)))
        .where(Section.id.in_(section_ids)).group_by(Section.id, Section.title)
    ).all()
    return {row[0] for row in rows if row[3] < row[2]}, {row[0]: row[1] for row in rows}


def _unpassed_quizzes(student_id, quiz_ids: set) -> tuple[set, dict]:
    """Of these quizzes, those the learner has not passed; and every one's title."""
    if not quiz_ids:
        return set(), {}
    passed = select(QuizAttempt.id).where(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.student_id == student_id,
                                          QuizAttempt.passed.is_(True)).exists()
    rows = db.session.execute(select(Quiz.id, Quiz.title, passed).where(Quiz.id.in_(quiz_ids))).all()
    return {row[0] for row in rows if not row[2]}, {row[0]: row[1] for row in rows}


def describe(lock: SectionLock) -> list[str]:
    """Why the section is closed and when it opens, one sentence per unmet condition."""
    reasons = []
    if lock.after_section:
        reasons.append(_("Opens when you finish the section “%(title)s”.", title=lock.after_section))
    if lock.quiz:
        reasons.append(_("Opens when you pass the quiz “%(title)s”.", title=lock.quiz))
    if lock.opens_at:
        reasons.append(_("Opens on %(date)s.", date=format_datetime(lock.opens_at, "d MMMM yyyy, HH:mm")))
    if lock.days_after_enrolment:
        reasons.append(ngettext("Opens %(num)d day after you enrol.", "Opens %(num)d days after you enrol.",
                                lock.days_after_enrolment))
    return reasons


class InvalidRule(Exception):
    """The section or quiz named is not an earlier section / a quiz of the same course."""


def order_conflict(sections: list[Section]) -> str | None:
    """Why a course's sections may not take this order (first to last), or None. A section waiting for one
    that would then come after it could never open (two may even wait for each other), so such a move is
    refused rather than the condition dropped silently: the instructor changes the condition first."""
    position = {section.id: order for order, section in enumerate(sections)}
    titles = {section.id: section.title for section in sections}
    rules = db.session.scalars(select(SectionRelease).where(SectionRelease.section_id.in_(position),
                                                            SectionRelease.after_section_id.is_not(None)))
    for rule in rules:
        if position.get(rule.after_section_id, -1) >= position[rule.section_id]:
            return _("“%(section)s” opens once “%(earlier)s” is finished, so it must stay after it. Change its "
                     "release conditions first, then move it.", section=titles[rule.section_id],
                     earlier=titles.get(rule.after_section_id, ""))
    return None


def section_rule(section: Section) -> SectionRelease | None:
    return db.session.scalar(select(SectionRelease).where(SectionRelease.section_id == section.id))


def earlier_sections(section: Section) -> list[Section]:
    """The sections a section may wait for: those before it in its course."""
    return list(db.session.scalars(
        select(Section).where(Section.course_id == section.course_id, Section.display_order < section.display_order)
        .order_by(Section.display_order)))


def set_section_rule(section: Section, after_section_id: uuid.UUID | None, quiz_id: uuid.UUID | None,
                     days_after_enrolment: int | None, opens_at: datetime | None = None) -> SectionRelease | None:
    """Replace the section's release conditions (all None: it opens with the course); ``opens_at`` is
    timezone-aware. Applies at once, also on a published course: it paces learners and changes no content,
    so it is not held for review."""
    if after_section_id and after_section_id not in {s.id for s in earlier_sections(section)}:
        raise InvalidRule()
    if quiz_id and db.session.scalar(select(Quiz.id).where(Quiz.id == quiz_id,
                                                           Quiz.course_id == section.course_id)) is None:
        raise InvalidRule()
    rule = section_rule(section)
    if not (after_section_id or quiz_id or days_after_enrolment or opens_at):
        if rule is not None:
            db.session.delete(rule)
        db.session.flush()
        cache.bump_course(section.course_id)
        return None
    if rule is None:
        rule = SectionRelease(section_id=section.id, course_id=section.course_id)
        db.session.add(rule)
    rule.after_section_id, rule.quiz_id = after_section_id, quiz_id
    rule.days_after_enrolment = days_after_enrolment or None
    rule.opens_at = opens_at and opens_at.astimezone(timezone.utc)
    db.session.flush()
    cache.bump_course(section.course_id)  # the course page lists each section's conditions
    return rule
