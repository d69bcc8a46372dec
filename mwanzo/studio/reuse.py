"""Reusing a course in the studio: duplicate it (/studio/courses/<id>/duplicate), export it as one archive
(/studio/courses/<id>/export) and import an archive as a new draft (/studio/courses/import); a large export
or import runs as a job followed at /studio/transfers/<id>. The rules are in studio/copies.py; someone
else's course or transfer: 404."""
from __future__ import annotations

import io
import tempfile
import uuid

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo import jobs
from mwanzo.audit import record
from mwanzo.auth.access import owned_or_404
from mwanzo.auth.models import User
from mwanzo.courses.access import owned_course
from mwanzo.courses.models import CourseTransfer
from mwanzo.extensions import db
from mwanzo.studio import copies
from mwanzo.studio.forms import ConfirmForm, CourseImportForm
from mwanzo.studio.tasks import run_course_transfer
from mwanzo.studio.views import bp
from mwanzo.web.htmx import render


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


def follow(transfer: CourseTransfer):
    """Queue the transfer's job (sent once this commits) and show its status page."""
    jobs.enqueue(run_course_transfer, str(transfer.id))
    db.session.commit()
    return redirect(url_for("studio.transfer_status", transfer_id=transfer.id))


@bp.post("/studio/courses/<uuid:course_id>/export")
def course_export(course_id: uuid.UUID):
    """The archive at once, or for a heavy course a job and the page that follows it."""
    course = owned_course(course_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if copies.runs_as_job(copies.course_bytes(course)):
        return follow(copies.queue_export(course, current_user))
    archive = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)
    copies.export_course(course, archive)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name=f"{course.slug}.mwanzo.zip", max_age=0)


@bp.route("/studio/courses/import", methods=["GET", "POST"])
def course_import():
    """Checked at once; unpacked at once, or for a large archive by a job the status page follows."""
    form = CourseImportForm()
    if form.validate_on_submit():
        upload = form.archive.data.stream
        upload.seek(0, io.SEEK_END)
        large = copies.runs_as_job(upload.tell())
        try:
            made = copies.queue_import(upload, current_user) if large else copies.import_course(upload, current_user)
        except copies.InvalidArchive as exc:
            db.session.rollback()
            form.archive.errors.append(str(exc))
        else:
            if large:
                return follow(made)
            record(current_user, "course.imported", made, title=made.title)
            db.session.commit()
            flash(_("Course imported as a new draft."), "success")
            return redirect(url_for("studio.course_builder", course_id=made.id))
    return render_template("studio/course_import.html", form=form,
                           megabytes=copies.max_archive_bytes() // 1024**2), 422 if form.errors else 200


@bp.get("/studio/transfers/<uuid:transfer_id>")
def transfer_status(transfer_id: uuid.UUID):
    """A large export or import: polls itself while the job works (htmx, or a refresh without JavaScript)."""
    transfer = owned_or_404(db.session.get(CourseTransfer, transfer_id), lambda row: row.owner_id)
    return render("studio/transfer_status.html", "studio/_transfer_status.html", transfer=transfer,
                  can_retry=copies.can_retry(transfer), retry_form=ConfirmForm())


@bp.post("/studio/transfers/<uuid:transfer_id>/retry")
def transfer_retry(transfer_id: uuid.UUID):
    """Try a failed export or import again (a double click queues one job)."""
    transfer = owned_or_404(db.session.get(CourseTransfer, transfer_id), lambda row: row.owner_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not copies.retry_transfer(transfer):
        abort(409, _("This transfer cannot be tried again: start a new export or import."))
    return follow(transfer)
