"""Reusing a course in the studio: duplicate it (/studio/courses/<id>/duplicate), export it as one archive
(/studio/courses/<id>/export) and import an archive as a new draft (/studio/courses/import). The rules are
in studio/copies.py; a course is someone else's: 404."""
from __future__ import annotations

import tempfile
import uuid

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.audit import record
from mwanzo.auth.models import User
from mwanzo.courses.access import owned_course
from mwanzo.extensions import db
from mwanzo.studio import copies
from mwanzo.studio.forms import ConfirmForm, CourseImportForm
from mwanzo.studio.views import bp


def instructor_of(course) -> User:
    """A copy belongs to the course's own instructor, also when an admin makes it."""
    return db.session.get(User, course.instructor_id)


@bp.post("/studio/courses/<uuid:course_id>/duplicate")
def course_duplicate(course_id: uuid.UUID):
    course = owned_course(course_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    copy = copies.duplicate_course(course, instructor_of(course))
    record(current_user, "course.duplicated", copy, source_id=course.id)
    db.session.commit()
    flash(_("This is your copy, a new draft. Its videos and files are shared with the original until you "
            "replace them."), "success")
    return redirect(url_for("studio.course_builder", course_id=copy.id))


@bp.get("/studio/courses/<uuid:course_id>/export")
def course_export(course_id: uuid.UUID):
    course = owned_course(course_id)
    archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    copies.export_course(course, archive)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{course.slug}.mwanzo.zip", max_age=0)


@bp.route("/studio/courses/import", methods=["GET", "POST"])
def course_import():
    form = CourseImportForm()
    if form.validate_on_submit():
        try:
            course = copies.import_course(form.archive.data.stream, current_user)
        except copies.InvalidArchive as exc:
            db.session.rollback()
            form.archive.errors.append(str(exc))
        else:
            record(current_user, "course.imported", course, title=course.title)
            db.session.commit()
            flash(_("Course imported as a new draft."), "success")
            return redirect(url_for("studio.course_builder", course_id=course.id))
    return render_template("studio/course_import.html", form=form,
                           megabytes=copies.max_archive_bytes() // 1024**2), 422 if form.errors else 200
