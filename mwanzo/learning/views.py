from __future__ import annotations

import uuid

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.auth.access import verified_email_required
from mwanzo.catalog.models import Course, CourseStatus, Lesson
from mwanzo.extensions import db
from mwanzo.learning import services

bp = Blueprint("learning", __name__)


def visible_course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if course.status != CourseStatus.PUBLISHED and not services.has_access(current_user, course):
        abort(404)
    return course


@bp.post("/courses/<slug>/enroll")
@verified_email_required
def enroll(slug: str):
    course = visible_course_or_404(slug)
    if not course.is_free:
        return redirect(url_for("payments.checkout", slug=slug))
    try:
        services.enroll_free(current_user, course)
    except services.CourseNotAvailable:
        abort(404)
    db.session.commit()
    flash(_("You are enrolled. Enjoy the course!"), "success")
    return redirect(url_for("learning.course_resume", slug=slug))


@bp.get("/learn/<slug>")
def course_resume(slug: str):
    course = visible_course_or_404(slug)
    lesson = services.resume_lesson(current_user, course)
    if lesson is None:
        flash(_("This course has no lessons yet."), "info")
        return redirect(url_for("catalog.course_detail", slug=slug))
    return redirect(url_for("learning.lesson_view", slug=slug, lesson_id=lesson.id))


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>")
def lesson_view(slug: str, lesson_id: uuid.UUID):
    course = visible_course_or_404(slug)
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id or not lesson.is_published:
        abort(404)
    if not lesson.is_preview and not services.has_access(current_user, course):
        flash(_("Enrol in this course to open its lessons."), "info")
        return redirect(url_for("catalog.course_detail", slug=slug))
    return render_template("learning/lesson_view.html", course=course, lesson=lesson,
                           outline=services.course_outline(course.id))
