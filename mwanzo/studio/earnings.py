"""An instructor's money: /studio/earnings, monthly statements (gross, refunds, platform share, net) and
their CSV. Admins add ?instructor=<id> to read anyone's. The arithmetic is in mwanzo/payments/earnings.py."""
from __future__ import annotations

import uuid

from flask import abort, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mwanzo.analytics import reports
from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.payments import earnings
from mwanzo.studio.views import bp

CSV_HEADER = [_l("Month"), _l("Gross (KES)"), _l("Refunds (KES)"), _l("Platform share (KES)"), _l("Net (KES)")]


def whose() -> User:
    """The signed-in instructor, or for an admin the instructor named in ?instructor= (404 if none)."""
    wanted = request.args.get("instructor")
    if not wanted or not current_user.is_admin:
        return current_user._get_current_object()
    try:
        user = db.session.get(User, uuid.UUID(wanted))
    except ValueError:
        user = None
    if user is None:
        abort(404)
    return user


@bp.get("/studio/earnings")
def earnings_page():
    instructor = whose()
    return render_template("studio/earnings.html", instructor=instructor,
                           months=earnings.statements(instructor.id, earnings.today()),
                           share=current_app.config["PLATFORM_SHARE_PERCENT"])


@bp.get("/studio/earnings.csv")
def earnings_csv():
    instructor = whose()
    rows = [m.row() for m in earnings.statements(instructor.id, earnings.today())]
    return reports.csv_response(reports.Table("earnings", _l("Earnings"), CSV_HEADER, rows, chart=None),
                                f"mwanzo-earnings-{earnings.today().isoformat()}")
