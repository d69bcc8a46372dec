"""The weekly study reminder by SMS: one text per learner per ISO week, never two.

Only to learners who opted in (profile), have a confirmed phone, an unfinished (ACTIVE) enrolment and no
study activity on any of them for STUDY_REMINDER_IDLE_DAYS. The dedupe key
``study-reminder:<user>:<iso year>-W<iso week>`` sits on outbound_sms's unique index, so reruns, retries
and several workers at once still text each learner once a week. Texts go out in daytime hours only
(STUDY_REMINDER_HOURS_UTC, Kenya is UTC+3).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from mwanzo.auth.models import User
from mwanzo.courses.models import Course
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.sms import gsm
from mwanzo.sms.models import OutboundSms
from mwanzo.sms.services import render_sms, send_sms
from mwanzo.urls import absolute_url

TEMPLATE = "study_reminder"
TITLE_MAX = 40


def last_activity():
    return func.coalesce(Enrollment.last_activity_at, Enrollment.activated_at, Enrollment.created_at)


def dedupe_key(user_id: uuid.UUID, now: datetime) -> str:
    year, week, _ = now.isocalendar()
    return f"study-reminder:{user_id}:{year}-W{week:02d}"


def in_daytime(now: datetime) -> bool:
    first, last = current_app.config["STUDY_REMINDER_HOURS_UTC"]
    return first <= now.hour <= last


def idle_learner_ids(now: datetime) -> list[uuid.UUID]:
    """Opted in, active, phone confirmed, an ACTIVE enrolment, and none of them touched since the cutoff."""
    cutoff = now - timedelta(days=current_app.config["STUDY_REMINDER_IDLE_DAYS"])
    unfinished = Enrollment.student_id == User.id, Enrollment.status == EnrollmentStatus.ACTIVE
    return list(db.session.scalars(select(User.id).where(
        User.sms_study_reminder.is_(True), User.is_active.is_(True), User.is_phone_verified.is_(True),
        User.phone.is_not(None), User.erased_at.is_(None),
        select(Enrollment.id).where(*unfinished).exists(),
        ~select(Enrollment.id).where(*unfinished, last_activity() >= cutoff).exists(),
    ).order_by(User.id)))


def reminder_text(user: User, course: Course, percent: int) -> dict:
    """The context for the text: with the course title when it still fits one GSM-7 part, else without."""
    context = {"name": (user.name or "").split(" ")[0][:20], "percent": percent,
               "url": absolute_url("learning.course_resume", slug=course.slug),
               "stop_url": absolute_url("auth.profile")}
    title = course.title if len(course.title) <= TITLE_MAX else course.title[:TITLE_MAX - 3].rstrip() + "..."
    with_title = context | {"course": title}
    if gsm.measure(render_sms(TEMPLATE, user.locale or current_app.config["BABEL_DEFAULT_LOCALE"],
                              **with_title)).parts == 1:
        return with_title
    return context | {"course": None}


def send_reminder(user_id: uuid.UUID, now: datetime) -> OutboundSms | None:
    """This week's reminder for one learner, or None when it went already (or they no longer qualify)."""
    user = db.session.get(User, user_id)
    if user is None or not user.sms_study_reminder or not user.phone or not user.is_phone_verified:
        return None
    enrolment = db.session.scalar(
        select(Enrollment).where(Enrollment.student_id == user.id, Enrollment.status == EnrollmentStatus.ACTIVE)
        .order_by(last_activity().desc()).limit(1))
    if enrolment is None:
        return None
    course = db.session.get(Course, enrolment.course_id)
    return send_sms(user.phone, TEMPLATE, locale=user.locale, dedupe_key=dedupe_key(user.id, now),
                    **reminder_text(user, course, enrolment.progress_percent))
