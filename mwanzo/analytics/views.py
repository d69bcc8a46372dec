"""Instructor analytics: one page per own course (admins: any course), with CSV exports."""
from __future__ import annotations

import uuid

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from mwanzo.analytics import reports, services
from mwanzo.auth.access import role_required
from mwanzo.auth.models import Role
from mwanzo.courses.access import course_owned_by_current_user

bp = Blueprint("analytics", __name__, url_prefix="/instructor/analytics")


def date_range() -> services.DateRange:
    try:
        return services.DateRange.from_args(request.args)
    except services.InvalidRange:
        abort(400)


@bp.get("/")
@role_required(Role.INSTRUCTOR)
def course_list():
    return render_template("analytics/course_list.html", courses=services.instructor_courses(current_user))


@bp.get("/<uuid:course_id>")
@role_required(Role.INSTRUCTOR)
def course_report(course_id: uuid.UUID):
    course = course_owned_by_current_user(course_id)
    rng = date_range()
    rating, rating_count = services.rating_summary(course.id)
    return render_template("analytics/course_report.html", course=course, rng=rng,
                           tables=reports.course_report(course, rng), rating=rating, rating_count=rating_count,
                           csv_url=lambda name: url_for("analytics.course_csv", course_id=course.id, name=name,
                                                        **rng.args()))


@bp.get("/<uuid:course_id>/<name>.csv")
@role_required(Role.INSTRUCTOR)
def course_csv(course_id: uuid.UUID, name: str):
    course = course_owned_by_current_user(course_id)
    rng = date_range()
    table = reports.find_table(reports.course_report(course, rng), name)
    if table is None:
        abort(404)
    return reports.csv_response(table, f"{course.slug}-{name}-{rng.start}-{rng.end}")
