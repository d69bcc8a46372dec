from __future__ import annotations

import math
import uuid

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from mwanzo.auth.access import learner_key, login_required, verified_email_required
from mwanzo.auth.models import Role
from mwanzo.courses.models import Course, CourseStatus
from mwanzo.extensions import db, limiter
from mwanzo.learning import player, services
from mwanzo.media.delivery import media_url, playlist_response
from mwanzo.quizzes.services import quizzes_by_section
from mwanzo.web.errors import render_error
from mwanzo.web.nav import add_nav_link

bp = Blueprint("learning", __name__)
add_nav_link((Role.STUDENT, Role.INSTRUCTOR), "learning.dashboard", _l("My learning"))


def visible_course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if course.status != CourseStatus.PUBLISHED and not services.has_access(current_user, course):
        abort(404)
    return course


def media_ttl(lesson) -> int:
    """Segment URLs live long enough to watch the lesson once, not much longer."""
    return min(current_app.config["MEDIA_URL_TTL_SECONDS"], 2 * (lesson.duration_seconds or 0) + 600)


@bp.post("/courses/<slug>/enroll")
@verified_email_required
def enroll(slug: str):
    course = visible_course_or_404(slug)
    if not course.is_free:
        services.start_paid_enrollment(current_user, course)
        db.session.commit()
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
    try:
        page = services.open_lesson(current_user, slug, lesson_id)
    except services.LessonNotFound:
        abort(404)
    except services.LessonLocked:
        flash(_("Enrol in this course to open its lessons."), "info")
        return redirect(url_for("catalog.course_detail", slug=slug))
    data_saver = current_user.is_authenticated and current_user.data_saver
    options = player.qualities(page.access.lesson)
    html = render_template("learning/lesson_view.html", page=page, course=page.access.course,
                           lesson=page.access.lesson, options=options,
                           chosen=player.default_quality(options, data_saver),
                           data_cost=lambda item: player.data_cost(item, data_saver), media_url=media_url,
                           quizzes=quizzes_by_section(page.access.course.id))
    db.session.commit()  # after rendering: committing expires the loaded curriculum
    return html


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/hls/<path:name>")
def lesson_playlist(slug: str, lesson_id: uuid.UUID, name: str):
    """HLS playlists, checked on every request: a revoked learner's next playlist fetch fails."""
    access = services.viewable_lesson(current_user, slug, lesson_id)
    key = services.playlist_key(access.lesson, name)

    def nested_playlist(target: str) -> str | None:
        """Variant playlists go through this route too; segments get signed URLs."""
        nested = services.playlist_name(access.lesson, target)
        return nested and url_for("learning.lesson_playlist", slug=slug, lesson_id=lesson_id, name=nested)

    return playlist_response(key, media_ttl(access.lesson), nested_playlist)


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/video.mp4")
def lesson_video(slug: str, lesson_id: uuid.UUID):
    """The low-quality MP4 for browsers without HLS: a fresh short-lived URL each time."""
    access = services.viewable_lesson(current_user, slug, lesson_id)
    if not access.lesson.download_key:
        abort(404)
    return redirect(media_url(access.lesson.download_key, media_ttl(access.lesson)))


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/download")
def lesson_download(slug: str, lesson_id: uuid.UUID):
    access = services.downloadable_lesson(current_user, slug, lesson_id)
    return redirect(media_url(access.lesson.download_key,
                              download_name=f"{access.course.slug}-{access.lesson.title}.mp4"))


def progress_limit() -> str:
    return current_app.config["PROGRESS_RATE_LIMIT"]


def progress_key() -> str:
    """One budget per learner and lesson: a burst on one lesson does not block saving another."""
    return f"{learner_key()}:progress:{request.view_args['lesson_id']}"


@bp.post("/learn/<slug>/lessons/<uuid:lesson_id>/progress")
@limiter.limit(progress_limit, key_func=progress_key)
def progress_save(slug: str, lesson_id: uuid.UUID):
    """The player's beacon: position in whole seconds; 204, nothing to render (429 when saved too often)."""
    if not current_user.is_authenticated:
        abort(401)
    try:
        position = float(request.form.get("position", ""))
    except ValueError:
        abort(400)
    if not math.isfinite(position) or position < 0:
        abort(400)
    services.record_position(current_user, slug, lesson_id, position)
    db.session.commit()
    return Response(status=204)


@bp.post("/learn/<slug>/lessons/<uuid:lesson_id>/complete")
@login_required
def lesson_complete(slug: str, lesson_id: uuid.UUID):
    services.complete_text_lesson(current_user, slug, lesson_id)
    db.session.commit()
    try:
        target = uuid.UUID(request.form.get("next_lesson_id", ""))
    except ValueError:
        target = lesson_id
    return redirect(url_for("learning.lesson_view", slug=slug, lesson_id=target))


@bp.get("/dashboard")
@login_required
def dashboard():
    return render_template("learning/dashboard.html", board=services.dashboard_for(current_user))


@bp.errorhandler(services.LessonNotFound)
def lesson_not_found(error):
    return render_error(404)


@bp.errorhandler(services.LessonLocked)
def lesson_locked(error):
    """Media, downloads and saves for a lesson this user may not open (pages redirect instead)."""
    return render_error(403)
