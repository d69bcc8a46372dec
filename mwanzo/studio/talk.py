"""The instructor's side of talking with learners: questions waiting across all courses, announcements, and
replies to reviews. Under the studio guard; each course is loaded through owned_course (another's is 404)."""
from __future__ import annotations

import uuid

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.courses.access import owned_course
from mwanzo.discussions import services as talk
from mwanzo.discussions.limits import posting_key, posting_limit
from mwanzo.discussions.forms import AnnouncementForm, ReviewReplyForm
from mwanzo.extensions import db, limiter
from mwanzo.studio.views import bp


@bp.get("/studio/questions")
def question_queue():
    return render_template("studio/question_queue.html", queue=talk.instructor_questions(current_user))


@bp.route("/studio/courses/<uuid:course_id>/announcements", methods=["GET", "POST"])
@limiter.limit(posting_limit, key_func=posting_key, methods=["POST"])
def announcement_new(course_id: uuid.UUID):
    course = owned_course(course_id)
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            talk.announce(current_user, course, form.title.data, form.body.data,
                          url_for("discussions.question_list", slug=course.slug))
        except talk.Duplicate:
            abort(409, _("You posted exactly this less than a minute ago; it is already there."))
        except talk.Suspended:
            abort(403, _("A moderator has stopped this account from posting."))
        db.session.commit()
        flash(_("Announcement sent to the course's learners."), "success")
        return redirect(url_for("studio.announcement_new", course_id=course.id))
    return render_template("studio/announcements.html", course=course, form=form,
                           announcements=talk.announcements(course.id, limit=10)), 422 if form.errors else 200


@bp.get("/studio/courses/<uuid:course_id>/reviews")
def review_replies(course_id: uuid.UUID):
    course = owned_course(course_id)
    return render_template("studio/reviews.html", course=course, reviews=talk.course_reviews(course.id),
                           form=ReviewReplyForm(formdata=None))


@bp.post("/studio/courses/<uuid:course_id>/reviews/<uuid:review_id>/reply")
def review_reply(course_id: uuid.UUID, review_id: uuid.UUID):
    course = owned_course(course_id)
    form = ReviewReplyForm()
    if not form.validate_on_submit():
        flash(_("Write a reply of at least two characters."), "error")
        return redirect(url_for("studio.review_replies", course_id=course.id))
    try:
        talk.reply_to_review(course, review_id, form.reply.data)
    except talk.NotFound:
        abort(404)
    except talk.AlreadyReplied:
        abort(409, _("You have already replied to this review."))
    db.session.commit()
    flash(_("Your reply is published under the review."), "success")
    return redirect(url_for("studio.review_replies", course_id=course.id))
