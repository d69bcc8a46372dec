"""The weekly progress report: one email per active learner per ISO week, never two.

A periodic job runs every WEEKLY_REPORT_CHECK_SECONDS (hourly by default); from the configured weekday
and hour on, it emails every learner with an ACTIVE enrolment touched in the last seven days who has not
opted out. The dedupe key
``weekly:<user>:<iso year>-W<iso week>`` sits on a unique index, so reruns, retries and several
workers at once still send each learner one report a week.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from mwanzo.auth.models import User
from mwanzo.courses.models import Lesson
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.notifications.models import OutboundEmail
from mwanzo.notifications.services import send_email
from mwanzo.urls import absolute_url

ACTIVITY_WINDOW = timedelta(days=7)


class InvalidUnsubscribeToken(Exception):
    """The unsubscribe link is forged or damaged."""


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="mwanzo-unsubscribe")


def unsubscribe_token(user: User, kind: str = "weekly") -> str:
    """Signed, not expiring (an old email's link must still work), no login needed."""
    return _unsubscribe_serializer().dumps({"uid": str(user.id), "kind": kind})


def unsubscribe_user(token: str) -> User:
    try:
        data = _unsubscribe_serializer().loads(token)
        user = db.session.get(User, uuid.UUID(data["uid"]))
    except (BadSignature, KeyError, ValueError, TypeError) as exc:
        raise InvalidUnsubscribeToken() from exc
    if user is None or data.get("kind") != "weekly":
        raise InvalidUnsubscribeToken()
    return user


def unsubscribe(token: str) -> User:
    user = unsubscribe_user(token)
    user.email_weekly_report = False
    return user


def week_label(now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def dedupe_key(user_id, now: datetime) -> str:
    return f"weekly:{user_id}:{week_label(now)}"


def report_due(now: datetime) -> bool:
    """From the configured weekday and hour of the ISO week onwards."""
    config = current_app.config
    monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    opens = monday + timedelta(days=config["WEEKLY_REPORT_WEEKDAY"], hours=config["WEEKLY_REPORT_HOUR_UTC"])
    return now >= opens


def recipient_ids(now: datetime) -> list[uuid.UUID]:
    """Learners who opted in, are active and have an ACTIVE enrolment with activity in the last seven days
    (whether this week's report already went out is decided per learner by the dedupe key)."""
    stmt = (
        select(User.id).where(
            User.email_weekly_report.is_(True), User.is_active.is_(True),
            select(Enrollment.id).where(
                Enrollment.student_id == User.id, Enrollment.status == EnrollmentStatus.ACTIVE,
                Enrollment.last_activity_at >= now - ACTIVITY_WINDOW,
            ).exists(),
        ).order_by(User.id)
    )
    return list(db.session.scalars(stmt))


@dataclass
class CourseProgress:
    title: str
    url: str
    progress_percent: int
    lessons_this_week: int


def progress_lines(user_id: uuid.UUID, now: datetime) -> list[CourseProgress]:
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.student_id == user_id, Enrollment.status == EnrollmentStatus.ACTIVE)
        .options(joinedload(Enrollment.course)).order_by(Enrollment.last_activity_at.desc())
    ).all()
    done = dict(db.session.execute(
        select(Lesson.course_id, func.count()).join(VideoProgress, VideoProgress.lesson_id == Lesson.id)
        .where(VideoProgress.student_id == user_id, VideoProgress.completed.is_(True),
               VideoProgress.completed_at >= now - ACTIVITY_WINDOW)
        .group_by(Lesson.course_id)
    ).all())
    return [CourseProgress(e.course.title, absolute_url("catalog.course_detail", slug=e.course.slug), e.progress_percent, int(done.get(e.course_id, 0)))
            for e in enrollments]


def send_report(user_id: uuid.UUID, now: datetime) -> OutboundEmail | None:
    """This week's report for one learner, or None when it was already sent (or they opted out since)."""
    user = db.session.get(User, user_id)
    if user is None or not user.email_weekly_report or not user.is_active:
        return None
    return send_email(
        user.email, "weekly_report", locale=user.locale, dedupe_key=dedupe_key(user.id, now), user=user,
        courses=progress_lines(user.id, now), week=week_label(now),
        unsubscribe_url=absolute_url("weekly.unsubscribe", token=unsubscribe_token(user)),
        profile_url=absolute_url("auth.profile"),
    )
