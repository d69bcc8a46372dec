"""Course analytics in the studio: /instructor/analytics, one page per own course (admins: any course), with
CSV exports. The reports are built by mwanzo/analytics (services, reports, charts)."""
from __future__ import annotations

import uuid

from flask import abort, render_template, request, url_for
from flask_login import current_user

from mwanzo.analytics import reports, services
from mwanzo.courses.access import owned_course
from mwanzo.studio.forms import CourseFilterForm
from mwanzo.studio.views import COURSES_PER_PAGE, bp
from mwanzo.web.listing import list_page


def date_range() -> services.DateRange:
    try:
        return services.DateRange.from_args(request.args)
    except services.InvalidRange:
        abort(400)


@bp.get("/instructor/analytics/")
def analytics_course_list():
    form = CourseFilterForm(request.args)
    listing = list_page(form, lambda criteria: services.instructor_courses(current_user, criteria), COURSES_PER_PAGE)
    return render_template("analytics/course_list.html", form=form, listing=listing), listing.status


@bp.get("/instructor/analytics/<uuid:course_id>")
def analytics_course_report(course_id: uuid.UUID):
    course = owned_course(course_id)
    rng = date_range()
    rating, rating_count = services.rating_summary(course.id)
    return render_template("analytics/course_report.html", course=course, rng=rng,
                           tables=reports.course_report(course, rng), rating=rating, rating_count=rating_count,
                           csv_url=lambda name: url_for("studio.analytics_course_csv", course_id=course.id,
                                                        name=name, **rng.args()))


@bp.get("/instructor/analytics/<uuid:course_id>/<name>.csv")
def analytics_course_csv(course_id: uuid.UUID, name: str):
    course = owned_course(course_id)
    rng = date_range()
    table = reports.find_table(reports.course_report(course, rng), name)
    if table is None:
        abort(404)
    return reports.csv_response(table, f"{course.slug}-{name}-{rng.start}-{rng.end}")
