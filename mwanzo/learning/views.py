"""Learner pages: enrolling, the lesson player, progress saves and taking quizzes (the quiz rules are in
mwanzo/quizzes/services.py; their templates in templates/quizzes/)."""
from __future__ import annotations

import math
import posixpath
import uuid

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.auth.access import learner_key, login_required, verified_email_required
from mwanzo.certificates.services import certificate_for_enrollment, live_certificate
from mwanzo.courses.models import Course, CourseStatus
from mwanzo.extensions import db, limiter
from mwanzo.learning import player, release, services
from mwanzo.media import captions as captions_rules
from mwanzo.media import resources as resource_rules
from mwanzo.media.delivery import media_url, playlist_response
from mwanzo.quizzes import services as quizzes
from mwanzo.quizzes.models import Quiz, QuizAttempt
from mwanzo.web.errors import render_error
from mwanzo.web.htmx import is_htmx

bp = Blueprint("learning", __name__)


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
    except services.SectionLocked as locked:
        return section_locked(locked)
    except services.LessonLocked:
        flash(_("Enrol in this course to open its lessons."), "info")
        return redirect(url_for("catalog.course_detail", slug=slug))
    data_saver = current_user.is_authenticated and current_user.data_saver
    options = player.qualities(page.access.lesson)
    lessons = [item for section in page.outline for item in section.lessons if item.is_published]
    html = render_template("learning/lesson_view.html", page=page, course=page.access.course,
                           lesson=page.access.lesson, options=options,
                           chosen=player.default_quality(options, data_saver),
                           data_cost=lambda item: player.data_cost(item, data_saver), media_url=media_url,
                           quizzes=quizzes.quizzes_by_section(page.access.course.id), data_saver=data_saver,
                           describe_lock=release.describe,
                           resources=resource_rules.lesson_resources(page.access.lesson.id),
                           save_options=player.save_options(page.access.lesson), course_lessons=len(lessons),
                           save_mp4=player.saves_mp4(page.access.lesson),
                           course_save_sizes=player.course_save_sizes(lessons),
                           **transcript_context(page.captions))
    db.session.commit()  # after rendering: committing expires the loaded curriculum
    return html


def transcript_context(captions: list) -> dict:
    """Which transcript the lesson page shows (?transcript=<language>) and which of its pages (?tpage=n)."""
    chosen_language = current_user.captions_language if current_user.is_authenticated else None
    caption = captions_rules.choose(captions, request.args.get("transcript"), chosen_language,
                                    str(get_locale() or "en"))
    pages = captions_rules.transcript_pages(caption) if caption else []
    number = request.args.get("tpage", "1")
    number = int(number) if number.isascii() and number.isdigit() and 1 <= int(number) <= len(pages) else 1
    return {"captions": captions, "languages": captions_rules.LANGUAGES, "transcript": caption,
            "transcript_lines": pages[number - 1] if pages else [], "transcript_page": number,
            "transcript_pages": len(pages)}


@bp.post("/learn/<slug>/lessons/<uuid:lesson_id>/captions")
@login_required
def captions_choose(slug: str, lesson_id: uuid.UUID):
    """The captions menu without JavaScript: a language or off, remembered for every lesson."""
    language = request.form.get("language", "")
    if language and language not in captions_rules.LANGUAGES:
        abort(422)
    services.viewable_lesson(current_user, slug, lesson_id)
    services.choose_captions(current_user, language or None)
    db.session.commit()
    if is_htmx():
        return Response(status=204)
    return redirect(url_for("learning.lesson_view", slug=slug, lesson_id=lesson_id))


@bp.get("/learn/<slug>/transcripts")
def transcript_search(slug: str):
    """Search the words spoken in this course's lessons (their captions)."""
    course = visible_course_or_404(slug)
    query = request.args.get("q", "")[:100].strip()
    hits = services.search_transcripts(current_user, course, query) if query else []
    return render_template("learning/transcript_search.html", course=course, query=query, hits=hits,
                           languages=captions_rules.LANGUAGES, page_of_cue=captions_rules.page_of_cue)


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
    services.video_served(current_user, access)
    db.session.commit()
    return redirect(media_url(access.lesson.download_key, media_ttl(access.lesson)))


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/download")
def lesson_download(slug: str, lesson_id: uuid.UUID):
    access = services.downloadable_lesson(current_user, slug, lesson_id)
    services.video_served(current_user, access)
    db.session.commit()
    return redirect(media_url(access.lesson.download_key,
                              download_name=f"{access.course.slug}-{access.lesson.title}"
                                            f"{posixpath.splitext(access.lesson.download_key)[1]}"))


@bp.get("/learn/<slug>/lessons/<uuid:lesson_id>/files/<uuid:resource_id>")
def lesson_resource(slug: str, lesson_id: uuid.UUID, resource_id: uuid.UUID):
    """A lesson's file, for whoever may open the lesson: a fresh short-lived URL each time."""
    access = services.viewable_lesson(current_user, slug, lesson_id)
    resource = services.lesson_resource(access.lesson, resource_id)
    return redirect(media_url(resource.key, media_ttl(access.lesson), download_name=resource.filename))


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
    completion = services.complete_text_lesson(current_user, slug, lesson_id)
    db.session.commit()
    return after_completing(slug, lesson_id, completion)


def after_completing(slug: str, lesson_id: uuid.UUID, completion: services.Completion):
    """The course's last lesson leads to its certificate; any other to the next lesson the form names."""
    if completion.course_completed:
        certificate = certificate_for_enrollment(completion.enrollment_id)
        if certificate is not None:
            flash(_("Course complete! Here is your certificate."), "success")
            return redirect(url_for("certificates.certificate_detail", code=certificate.verification_code))
    try:
        target = uuid.UUID(request.form.get("next_lesson_id", ""))
    except ValueError:
        target = lesson_id
    return redirect(url_for("learning.lesson_view", slug=slug, lesson_id=target))


@bp.post("/learn/<slug>/lessons/<uuid:lesson_id>/watched")
@login_required
def lesson_watched(slug: str, lesson_id: uuid.UUID):
    """The form beside the video for browsers without the player's script (and anyone who prefers it)."""
    completion = services.confirm_video_watched(current_user, slug, lesson_id)
    db.session.commit()
    if wait := completion.wait_seconds:
        flash(_("Keep watching: this video counts as watched once you have had time to watch most of it "
                "(about %(minutes)s more).", minutes=format_wait(wait)), "info")
        return redirect(url_for("learning.lesson_view", slug=slug, lesson_id=lesson_id))
    return after_completing(slug, lesson_id, completion)


def format_wait(seconds: int) -> str:
    return format_timedelta(seconds, threshold=1.1, granularity="second")


# ---------------------------------------------------------------- taking quizzes (rules: mwanzo.quizzes.services)

def learner_quiz(quiz_id: uuid.UUID) -> tuple[Course, Quiz]:
    quiz = quizzes.quiz_for_learner(quiz_id)
    if quiz is None:
        abort(404)
    course = db.session.get(Course, quiz.course_id)
    if not services.has_access(current_user, course):
        abort(403, _("Enrol in this course to take its quizzes."))
    services.released_quiz(current_user, course, quiz)
    return course, quiz


def own_attempt(attempt_id: uuid.UUID) -> tuple[Course, Quiz, QuizAttempt]:
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.student_id != current_user.id:
        abort(404)
    course, quiz = learner_quiz(attempt.quiz_id)
    return course, quiz, attempt


def render_attempt(template: str, course: Course, quiz: Quiz, attempt: QuizAttempt, **context):
    return render_template(template, course=course, quiz=quiz, attempt=attempt,
                           shown=quizzes.attempt_questions(quiz, attempt), saved=quizzes.saved_answers(attempt),
                           **context)


@bp.get("/quizzes/<uuid:quiz_id>")
@login_required
def quiz_detail(quiz_id: uuid.UUID):
    course, quiz = learner_quiz(quiz_id)
    services.credit_quiz_attempts(quiz, quizzes.settle_attempts(quiz, current_user))
    db.session.commit()
    return show_quiz(course, quiz.id)


def show_quiz(course: Course, quiz_id: uuid.UUID, status: int = 200):
    quiz = quizzes.quiz_for_learner(quiz_id)  # loaded with its questions after the commit
    return render_template("quizzes/quiz_detail.html", course=course, quiz=quiz,
                           summary=quizzes.summary_for(quiz, current_user)), status


@bp.post("/quizzes/<uuid:quiz_id>/start")
@login_required
def attempt_start(quiz_id: uuid.UUID):
    course, quiz = learner_quiz(quiz_id)
    if not quizzes.question_count(quiz):
        abort(409, _("This quiz has no questions yet."))
    services.credit_quiz_attempts(quiz, quizzes.settle_attempts(quiz, current_user))
    try:
        attempt = quizzes.start_attempt(quiz, current_user)
    except quizzes.AttemptsExhausted:
        db.session.commit()  # attempts whose time ran out were scored on the way
        flash(_("You have used all your attempts for this quiz."), "error")
        return show_quiz(course, quiz.id, 409)
    db.session.commit()
    return redirect(url_for("learning.attempt_view", attempt_id=attempt.id))


@bp.get("/quizzes/attempts/<uuid:attempt_id>")
@login_required
def attempt_view(attempt_id: uuid.UUID):
    course, quiz, attempt = own_attempt(attempt_id)
    if attempt.submitted_at is not None or quizzes.is_expired(attempt):
        return redirect(url_for("learning.attempt_result", attempt_id=attempt.id))
    return render_attempt("quizzes/attempt_view.html", course, quiz, attempt,
                          remaining=quizzes.seconds_left(attempt))


@bp.post("/quizzes/attempts/<uuid:attempt_id>/answers/<uuid:question_id>")
@login_required
def answer_save(attempt_id: uuid.UUID, question_id: uuid.UUID):
    _course, quiz, attempt = own_attempt(attempt_id)
    try:
        quizzes.save_answer(quiz, attempt, question_id, request.form.to_dict(flat=False))
    except quizzes.AttemptClosed:
        abort(409, _("Time is up for this attempt."))
    except quizzes.InvalidChoice:
        abort(422)
    db.session.commit()
    return render_template("quizzes/_saved.html")


@bp.post("/quizzes/attempts/<uuid:attempt_id>/submit")
@login_required
def attempt_submit(attempt_id: uuid.UUID):
    _course, quiz, attempt = own_attempt(attempt_id)
    try:
        services.credit_quiz_attempts(quiz, quizzes.submit_attempt(quiz, attempt, request.form.to_dict(flat=False)))
    except quizzes.InvalidChoice:
        abort(422)
    db.session.commit()
    return redirect(url_for("learning.attempt_result", attempt_id=attempt.id))


@bp.get("/quizzes/attempts/<uuid:attempt_id>/result")
@login_required
def attempt_result(attempt_id: uuid.UUID):
    course, quiz, attempt = own_attempt(attempt_id)
    services.credit_quiz_attempts(quiz, quizzes.settle_attempts(quiz, current_user))  # this one too, if its time ran out
    if attempt.submitted_at is None:
        return redirect(url_for("learning.attempt_view", attempt_id=attempt.id))
    db.session.commit()
    quiz = quizzes.quiz_for_learner(quiz.id)  # reloaded with its questions after the commit
    summary = quizzes.summary_for(quiz, current_user)
    certificate = live_certificate(current_user.id, course.id) if attempt.passed else None
    return render_attempt("quizzes/attempt_result.html", course, quiz, attempt, summary=summary,
                          revealed=quizzes.answers_revealed(quiz, summary), certificate=certificate)


@bp.errorhandler(services.LessonNotFound)
def lesson_not_found(error):
    return render_error(404)


@bp.errorhandler(services.SectionLocked)
def section_locked(error: services.SectionLocked):
    """A lesson or quiz whose section has not opened yet: why, and when it opens (403)."""
    reasons = release.describe(error.lock)
    if is_htmx():
        return render_error(403, " ".join(reasons))
    return render_template("learning/section_locked.html", reasons=reasons, course=error.course), 403


@bp.errorhandler(services.LessonLocked)
def lesson_locked(error):
    """Media, downloads and saves for a lesson this user may not open (pages redirect instead)."""
    return render_error(403)
