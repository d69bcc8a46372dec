"""A course's roster in the studio: /studio/courses/<id>/roster (filter: stuck for 7 days) and its CSV.
The numbers come from mwanzo/analytics/roster.py; ownership from courses.access (someone else's: 404)."""
from __future__ import annotations

import uuid

from flask import render_template, request
from flask_babel import lazy_gettext as _l

from mwanzo.analytics import reports, roster
from mwanzo.courses.access import owned_course
from mwanzo.studio.forms import RosterFilterForm
from mwanzo.studio.views import bp
from mwanzo.web.listing import list_page

PER_PAGE = 50
CSV_HEADER = [_l("Learner"), _l("Email"), _l("Status"), _l("Progress (%)"), _l("Last activity (UTC)"),
              _l("Best quiz scores"), _l("Certificate")]


@bp.get("/studio/courses/<uuid:course_id>/roster")
def course_roster(course_id: uuid.UUID):
    course = owned_course(course_id)
    form = RosterFilterForm(request.args)
    listing = list_page(form, lambda criteria: roster.roster_query(course.id, bool(criteria.get("stuck"))), PER_PAGE)
    rows = roster.roster_rows(course.id, listing.results.items)
    return render_template("studio/course_roster.html", course=course, form=form, listing=listing, rows=rows,
                           stuck_days=roster.STUCK_AFTER.days), listing.status


@bp.get("/studio/courses/<uuid:course_id>/roster.csv")
def course_roster_csv(course_id: uuid.UUID):
    course = owned_course(course_id)
    stuck = request.args.get("stuck") in ("y", "1", "on", "true")
    table = reports.Table("roster", _l("Learners"), CSV_HEADER, roster.csv_rows(course.id, stuck), chart=None)
    return reports.csv_response(table, f"{course.slug}-roster{'-stuck' if stuck else ''}")
