"""The one check for pages about a course that only its instructor (or an admin) may open."""
from __future__ import annotations

import uuid

from flask import abort

from mwanzo.auth.access import require_owner
from mwanzo.courses.models import Course
from mwanzo.extensions import db


def course_owned_by_current_user(course_id: uuid.UUID) -> Course:
    """The course, or 404 when it does not exist and 403 when it is someone else's."""
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    require_owner(course.instructor_id)
    return course
