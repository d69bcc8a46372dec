"""The instructor's workspace, one blueprint under one guard: the course builder here (/studio/...), the quiz
builder in quizzes.py (/studio/courses/<id>/quizzes...) and course analytics in analytics.py
(/instructor/analytics...). Its routes carry full paths (no url_prefix) so that the analytics pages keep
their addresses. Every course, section, lesson and quiz is loaded through mwanzo.courses.access, so another
instructor's work answers 404."""
from __future__ import annotations

import uuid
from decimal import Decimal

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from mwanzo.auth.access import role_required, verified_email_required
from mwanzo.auth.models import Role
from mwanzo.courses.access import owned_course, owned_lesson, owned_section
from mwanzo.courses.models import Category, CourseStatus, LessonKind, Level
from mwanzo.extensions import db
from mwanzo.labels import label
from mwanzo.images import InvalidImage
from mwanzo.media import captions, resources
from mwanzo.media import services as media
from mwanzo.media import uploads
from mwanzo.courses import revisions
from mwanzo.studio import services
from mwanzo.studio.forms import (CaptionsForm, ConfirmForm, CourseFilterForm, CourseForm, LessonForm, MoveForm,
                                 NewLessonForm, ResourceForm, SectionForm, VideoUploadForm, lines)
from mwanzo.web.htmx import is_htmx, render
from mwanzo.web.inputs import json_object
from mwanzo.web.listing import list_page

COURSES_PER_PAGE = 50

bp = Blueprint("studio", __name__)


@bp.record_once
def allow_large_video_uploads(state) -> None:
    """Raise the request size limit for the video upload only, before CSRF checking parses the form."""
    def allow() -> None:
        if request.endpoint == "studio.video_upload":
            request.max_content_length = state.app.config["MAX_VIDEO_BYTES"] + 1024 * 1024
        elif request.endpoint == "studio.course_import":
            request.max_content_length = state.app.config["MAX_COURSE_ARCHIVE_BYTES"] + 1024 * 1024

    state.app.before_request_funcs.setdefault(None, []).insert(0, allow)


@bp.before_request
@role_required(Role.INSTRUCTOR)
@verified_email_required
def guard():
    """Instructors and admins with a verified email only; ownership is checked per object (owned_course...)."""


# ---------------------------------------------------------------- courses

@bp.get("/studio/")
def course_list():
    form = CourseFilterForm(request.args)
    listing = list_page(form, lambda criteria: services.my_courses(current_user, criteria), COURSES_PER_PAGE)
    return render_template("studio/course_list.html", form=form, listing=listing,
                           counts=services.status_counts(current_user)), listing.status


def category_choices() -> list:
    from wtforms.fields.choices import SelectChoice

    rows = db.session.scalars(select(Category).order_by(Category.display_order, Category.name))
    return [SelectChoice(str(c.id), c.name) for c in rows]


def details_from(form: CourseForm) -> services.CourseDetails:
    return services.CourseDetails(
        title=form.title.data.strip(), short_description=form.short_description.data or None,
        description=form.description.data or "", learning_objectives=lines(form.learning_objectives.data),
        requirements=lines(form.requirements.data), category_id=uuid.UUID(form.category_id.data),
        price=Decimal(form.price.data), original_price=form.original_price.data, level=Level(form.level.data),
        language=form.language.data,
    )


def save_course_form(form: CourseForm, course=None):
    """Create or update from a valid form; a bad thumbnail becomes a field error and nothing is saved."""
    try:
        if course is None:
            course = services.create_course(current_user, details_from(form))
        else:
            services.update_course(course, details_from(form), current_user)
        if form.thumbnail.data:
            services.replace_thumbnail(course, form.thumbnail.data, current_user)
    except InvalidImage as exc:
        db.session.rollback()
        form.thumbnail.errors.append(str(exc))
        return None
    db.session.commit()
    return course


@bp.route("/studio/courses/new", methods=["GET", "POST"])
def course_create():
    form = CourseForm()
    form.category_id.choices = category_choices()
    if form.validate_on_submit():
        course = save_course_form(form)
        if course:
            flash(_("Course created. Now add sections and lessons."), "success")
            return redirect(url_for("studio.course_builder", course_id=course.id))
    return render_template("studio/course_form.html", form=form, course=None), 422 if form.errors else 200


@bp.route("/studio/courses/<uuid:course_id>/edit", methods=["GET", "POST"])
def course_edit(course_id: uuid.UUID):
    course = owned_course(course_id)
    form = CourseForm(obj=course) if request.method == "GET" else CourseForm()
    form.category_id.choices = category_choices()
    drafted = revisions.drafted(revisions.draft_changes(course.id))
    if request.method == "GET":
        form.category_id.data = str(course.category_id)
        form.level.data = course.level.value
        for name in revisions.HELD_COURSE_FIELDS:  # the draft under review, when there is one
            value = drafted(course, name)
            getattr(form, name).data = "\n".join(value or []) if isinstance(value, list) else value
    if form.validate_on_submit() and save_course_form(form, course):
        flash(saved_message(course, _("Course saved.")), "success")
        return redirect(url_for("studio.course_builder", course_id=course_id))
    return render_template("studio/course_form.html", form=form, course=course), 422 if form.errors else 200


def saved_message(course, done: str) -> str:
    if revisions.is_live(course):
        return _("Saved. New text and pictures wait for an admin's review; learners see the approved version "
                 "until then.")
    return done


def builder_context(course_id: uuid.UUID, **extra) -> dict:
    course = owned_course(course_id, with_curriculum=True)
    revision = revisions.draft_revision(course.id)
    changes = revision.changes if revision else {}
    return {"course": course, "history": services.course_history(course.id), "revision": revision,
            "drafted": revisions.drafted(changes), "new_lessons": changes.get("new_lessons", {}),
            "missing": services.missing_for_submission(course), "section_form": SectionForm(),
            "lesson_form": NewLessonForm(), "form": ConfirmForm(), **extra}


@bp.get("/studio/courses/<uuid:course_id>")
def course_builder(course_id: uuid.UUID):
    return render("studio/course_builder.html", "studio/_curriculum.html", **builder_context(course_id))


def back_to_builder(course_id: uuid.UUID, status: int = 200):
    """HTMX gets the curriculum fragment swapped in place; a plain form post goes back to the page."""
    if is_htmx():
        return render("studio/course_builder.html", "studio/_curriculum.html", status=status,
                      **builder_context(course_id))
    return redirect(url_for("studio.course_builder", course_id=course_id, _anchor="curriculum"))


@bp.post("/studio/courses/<uuid:course_id>/submit")
def course_submit(course_id: uuid.UUID):
    course = owned_course(course_id, with_curriculum=True)
    try:
        services.submit_for_review(course, current_user)
    except services.SubmissionIncomplete:
        return render("studio/course_builder.html", status=422, **builder_context(course_id, show_missing=True))
    except services.InvalidTransition:
        abort(409)
    db.session.commit()
    flash(_("Submitted for review. We will email you when an admin has looked at it."), "success")
    return redirect(url_for("studio.course_builder", course_id=course_id))


# ---------------------------------------------------------------- sections

@bp.post("/studio/courses/<uuid:course_id>/sections")
def section_create(course_id: uuid.UUID):
    course = owned_course(course_id)
    form = SectionForm()
    if not form.validate():
        return render("studio/course_builder.html", "studio/_curriculum.html", status=422,
                      **builder_context(course_id, section_form=form))
    services.add_section(course, form.title.data.strip(), current_user)
    db.session.commit()
    return back_to_builder(course_id)


@bp.post("/studio/sections/<uuid:section_id>/rename")
def section_rename(section_id: uuid.UUID):
    section = owned_section(section_id)
    form = SectionForm()
    if not form.validate():
        abort(422, _("A section needs a title of up to 200 characters."))
    services.rename_section(section, form.title.data.strip(), current_user)
    db.session.commit()
    return back_to_builder(section.course_id)


def move_and_show(item):
    form = MoveForm()
    if not form.validate():
        abort(400)
    try:
        services.move(item, form.direction.data)
    except services.ReleaseOrderConflict as exc:
        abort(409, str(exc))
    db.session.commit()
    return back_to_builder(item.course_id)


@bp.post("/studio/sections/<uuid:section_id>/move")
def section_move(section_id: uuid.UUID):
    return move_and_show(owned_section(section_id))


def confirm_and_delete(item, delete, cancel_url: str, warning: str, done: str):
    """GET shows the confirmation page; its POST deletes and commits (the media files go in a job after it)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        course_id = item.course_id
        delete(item)
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("studio.course_builder", course_id=course_id))
    return render_template("studio/confirm_delete.html", form=form, what=item.title, cancel_url=cancel_url,
                           warning=warning)


@bp.route("/studio/sections/<uuid:section_id>/delete", methods=["GET", "POST"])
def section_delete(section_id: uuid.UUID):
    section = owned_section(section_id)
    return confirm_and_delete(section, services.delete_section,
                              url_for("studio.course_builder", course_id=section.course_id),
                              _("Every lesson in this section and its video files are deleted too."),
                              _("Section deleted."))


@bp.post("/studio/sections/<uuid:section_id>/lessons")
def lesson_create(section_id: uuid.UUID):
    section = owned_section(section_id)
    form = NewLessonForm()
    if not form.validate():
        return render("studio/course_builder.html", "studio/_curriculum.html", status=422,
                      **builder_context(section.course_id, lesson_form=form, lesson_form_section=section.id))
    lesson = services.add_lesson(section, form.title.data.strip(), LessonKind(form.kind.data), current_user)
    db.session.commit()
    return redirect(url_for("studio.lesson_edit", lesson_id=lesson.id))


# ---------------------------------------------------------------- lessons

def lesson_page(lesson, form, status: int = 200, upload_error: str | None = None, captions_form=None,
                resource_form=None):
    course = owned_course(lesson.course_id)
    return render_template("studio/lesson_edit.html", lesson=lesson, course=course, form=form,
                           upload_form=VideoUploadForm(), upload=uploads.upload_settings(lesson),
                           upload_error=upload_error, captions_form=captions_form or CaptionsForm(),
                           captions=services.lesson_captions(lesson), languages=captions.LANGUAGES,
                           held_captions=revisions.held_captions(lesson.course_id, lesson.id),
                           remove_form=ConfirmForm(), resource_form=resource_form or ResourceForm(),
                           resources=resources.lesson_resources(lesson.id),
                           held_resources=revisions.held_resources(lesson.course_id, lesson.id)), status


@bp.route("/studio/lessons/<uuid:lesson_id>/edit", methods=["GET", "POST"])
def lesson_edit(lesson_id: uuid.UUID):
    lesson = owned_lesson(lesson_id)
    form = LessonForm(obj=lesson) if request.method == "GET" else LessonForm()
    if request.method == "GET":
        changes = revisions.draft_changes(lesson.course_id)
        drafted = revisions.drafted(changes)  # the draft under review, when there is one
        form.title.data, form.description.data = drafted(lesson, "title"), drafted(lesson, "description")
        form.body_markdown.data, kind = drafted(lesson, "body_markdown"), LessonKind(drafted(lesson, "kind"))
        form.kind.data = kind.value
        form.duration_minutes.data = drafted(lesson, "duration_seconds") // 60 if kind == LessonKind.TEXT else None
        form.is_published.data = changes.get("new_lessons", {}).get(str(lesson.id), lesson.is_published)
    if form.validate_on_submit():
        held = services.update_lesson(lesson, services.LessonDetails(
            title=form.title.data.strip(), description=form.description.data or None, kind=LessonKind(form.kind.data),
            body_markdown=form.body_markdown.data or None, duration_minutes=form.duration_minutes.data,
            is_preview=form.is_preview.data, is_published=form.is_published.data), current_user)
        db.session.commit()
        flash(_("Saved. Your changes wait for an admin's review; learners see the approved lesson until then.")
              if held else _("Lesson saved."), "success")
        return redirect(url_for("studio.lesson_edit", lesson_id=lesson_id))
    return lesson_page(lesson, form, 422 if form.errors else 200)


def attach_and_show(lesson, form, attach, refused: type[Exception], saved: str, anchor: str, form_name: str):
    """A file for the lesson from a valid form; a file the rules refuse becomes the file field's error.
    ``saved`` is the message, or makes it from what ``attach`` returned."""
    if form.validate_on_submit():
        try:
            attached = attach()
        except refused as exc:
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            flash(saved(attached) if callable(saved) else saved, "success")
            return redirect(url_for("studio.lesson_edit", lesson_id=lesson.id, _anchor=anchor))
    return lesson_page(lesson, LessonForm(obj=lesson, formdata=None), 422, **{form_name: form})


def detach_and_show(lesson, detach, removed: str, anchor: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not detach():
        abort(404)
    db.session.commit()
    flash(removed, "success")
    return redirect(url_for("studio.lesson_edit", lesson_id=lesson.id, _anchor=anchor))


@bp.post("/studio/lessons/<uuid:lesson_id>/captions")
def captions_upload(lesson_id: uuid.UUID):
    """One language's captions (WebVTT, or SRT converted); a bad file is a field error naming the line."""
    lesson, form = owned_lesson(lesson_id), CaptionsForm()
    return attach_and_show(lesson, form, lambda: services.upload_captions(lesson, form.language.data,
                                                                         form.file.data.stream, current_user),
                           captions.InvalidCaptions,
                           lambda held: _("Saved. Your captions wait for an admin's review; learners keep the "
                                          "approved captions until then.") if held else _("Captions saved."),
                           "captions-heading", "captions_form")


@bp.post("/studio/lessons/<uuid:lesson_id>/captions/<language>/delete")
def captions_delete(lesson_id: uuid.UUID, language: str):
    lesson = owned_lesson(lesson_id)
    return detach_and_show(lesson, lambda: services.remove_lesson_captions(lesson, language, current_user),
                           _("Captions removed."),
                           "captions-heading")


@bp.post("/studio/lessons/<uuid:lesson_id>/resources")
def resource_upload(lesson_id: uuid.UUID):
    """A PDF, slides or spreadsheet for the lesson, recognised by its bytes."""
    lesson, form = owned_lesson(lesson_id), ResourceForm()
    return attach_and_show(lesson, form, lambda: services.upload_resource(lesson, form.title.data.strip(),
                                                                         form.file.data.stream, current_user),
                           resources.InvalidResource,
                           lambda held: _("Saved. Your file waits for an admin's review; learners see the approved "
                                          "files until then.") if held else _("File added."),
                           "resources-heading", "resource_form")


@bp.post("/studio/lessons/<uuid:lesson_id>/resources/<uuid:resource_id>/delete")
def resource_delete(lesson_id: uuid.UUID, resource_id: uuid.UUID):
    lesson = owned_lesson(lesson_id)
    return detach_and_show(lesson, lambda: services.remove_lesson_resource(lesson, resource_id, current_user),
                           _("File removed."),
                           "resources-heading")


@bp.post("/studio/lessons/<uuid:lesson_id>/move")
def lesson_move(lesson_id: uuid.UUID):
    return move_and_show(owned_lesson(lesson_id))


@bp.route("/studio/lessons/<uuid:lesson_id>/delete", methods=["GET", "POST"])
def lesson_delete(lesson_id: uuid.UUID):
    lesson = owned_lesson(lesson_id)
    return confirm_and_delete(lesson, services.delete_lesson, url_for("studio.lesson_edit", lesson_id=lesson.id),
                              _("Its video files are deleted too."), _("Lesson deleted."))


@bp.get("/studio/lessons/<uuid:lesson_id>/status")
def lesson_status(lesson_id: uuid.UUID):
    """The polling fragment: polls itself every 2 s until the video is READY or FAILED."""
    lesson = owned_lesson(lesson_id)
    return render("studio/lesson_status.html", "studio/_lesson_status.html", lesson=lesson)


@bp.get("/studio/lessons/<uuid:lesson_id>/preview")
def lesson_preview(lesson_id: uuid.UUID):
    """The instructor watches their own lesson as learners will, whatever the course's status."""
    lesson = owned_lesson(lesson_id)
    course = owned_course(lesson.course_id)
    return render_template("studio/lesson_preview.html", lesson=lesson, course=course)


# ---------------------------------------------------------------- video upload

def video_refused(lesson, as_page: bool = False):
    """None when the lesson may take a video; else the 409 answer (JSON for the upload script)."""
    try:
        services.check_video_replaceable(lesson)
    except services.ReviewRequired:
        message = _("This lesson is live in a published course, so its video cannot be replaced. Add a new "
                    "lesson with the new video: it goes to review, and you can then hide or delete this one.")
        if as_page and request.accept_mimetypes.best != "application/json":
            return lesson_page(lesson, LessonForm(obj=lesson, formdata=None), 409, upload_error=message)
        return jsonify(error=message), 409
    return None


def incoming_file():
    """(stream, filename) from a multipart form field ``video`` or from a raw body (X-Filename header)."""
    if request.mimetype == "multipart/form-data":
        form = VideoUploadForm()
        if not form.validate():
            return None, ""
        return form.video.data.stream, form.video.data.filename or ""
    if not request.content_length:
        return None, ""
    return request.stream, request.headers.get("X-Filename", "")


@bp.post("/studio/lessons/<uuid:lesson_id>/video")
def video_upload(lesson_id: uuid.UUID):
    """Local storage: a multipart form (no JS) or the raw file as the body (the progress-bar script).
    Either way the bytes go to disk in chunks; over MAX_VIDEO_BYTES is a 413."""
    lesson = owned_lesson(lesson_id)
    if (refused := video_refused(lesson, as_page=True)) is not None:
        return refused
    stream, filename = incoming_file()
    if stream is None:
        return lesson_page(lesson, LessonForm(obj=lesson, formdata=None), 422,
                           upload_error=_("Choose a video file."))
    try:
        media.accept_local_upload(lesson, stream, filename)
    except media.VideoRejected as exc:
        db.session.commit()  # the lesson records why (FAILED + message)
        status = 413 if isinstance(exc, media.VideoTooLarge) else 422
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=str(exc)), status
        return lesson_page(lesson, LessonForm(obj=lesson, formdata=None), status, upload_error=str(exc))
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        return jsonify(status=lesson.processing_status.value,
                       status_url=url_for("studio.lesson_status", lesson_id=lesson.id))
    flash(_("Video uploaded. It is being prepared for phones; this page shows the progress."), "success")
    return redirect(url_for("studio.lesson_edit", lesson_id=lesson_id))


def direct_upload_lesson(lesson_id: uuid.UUID):
    """The lesson for an s3-mode upload call; with local storage those endpoints do not exist."""
    if not uploads.direct_mode():
        abort(404)
    return owned_lesson(lesson_id)


@bp.post("/studio/lessons/<uuid:lesson_id>/video/start")
def video_upload_start(lesson_id: uuid.UUID):
    """s3 mode: presigned PUT (or multipart part URLs) for the browser to upload straight to the bucket."""
    lesson = direct_upload_lesson(lesson_id)
    payload = json_object(request.get_data())
    if (refused := video_refused(lesson)) is not None:
        return refused
    try:
        plan = uploads.start_direct_upload(lesson, str(payload.get("filename", "")), int(payload.get("size", 0)))
    except (TypeError, ValueError):
        abort(400)
    except media.VideoTooLarge as exc:
        return jsonify(error=str(exc)), 413
    return jsonify(plan)


@bp.post("/studio/lessons/<uuid:lesson_id>/video/complete")
def video_upload_complete(lesson_id: uuid.UUID):
    """s3 mode: the browser says the upload is in the bucket; finish multipart, probe, queue."""
    lesson = direct_upload_lesson(lesson_id)
    payload = json_object(request.get_data())
    if (refused := video_refused(lesson)) is not None:
        return refused
    try:
        uploads.complete_direct_upload(lesson, payload)
    except uploads.BadUpload:
        abort(400)
    except media.VideoRejected as exc:
        db.session.commit()
        return jsonify(error=str(exc)), 413 if isinstance(exc, media.VideoTooLarge) else 422
    db.session.commit()
    return jsonify(status=lesson.processing_status.value,
                   status_url=url_for("studio.lesson_status", lesson_id=lesson.id))


@bp.app_template_global()
def course_badge(status: CourseStatus) -> tuple[str, str]:
    """(CSS class, label) for a course status badge."""
    css = {CourseStatus.PENDING_REVIEW: "warn", CourseStatus.PUBLISHED: "ok", CourseStatus.REJECTED: "err"}
    return css.get(status, ""), label(status)


# The workspace's other pages join this blueprint, under the guard above.
from mwanzo.studio import analytics, coupons, earnings, quizzes, releases, reuse, roster, talk  # noqa: E402,F401
