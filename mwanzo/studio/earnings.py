"""An instructor's money: /studio/earnings, monthly statements (gross, refunds, platform share, net) and
their CSV, the balance and payout requests (/studio/payouts; sent after an admin approves). Admins add ?instructor=<id> to read anyone's. The arithmetic is in mwanzo/payments/earnings.py."""
from __future__ import annotations

import uuid
from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mwanzo.analytics import reports
from mwanzo.auth.models import User
from mwanzo.extensions import db
from mwanzo.payments import earnings, payouts
from mwanzo.payments.forms import PayoutRequestForm
from mwanzo.phones import display_phone
from mwanzo.studio.forms import StatementMonthForm
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


def statement_month() -> tuple[StatementMonthForm, date]:
    """The ?until= form and the month the statements end with: the one asked for, never past this month
    (a month that cannot be read is left out, and its form carries the message)."""
    form = StatementMonthForm(request.args)
    this_month = earnings.today()
    if not form.validate() or not form.until.data:
        return form, this_month
    return form, min(form.until.data, this_month)


@bp.get("/studio/earnings")
def earnings_page():
    return earnings_view(whose(), PayoutRequestForm(formdata=None, phone=display_phone(current_user.phone)))


def earnings_view(instructor: User, form: PayoutRequestForm, status: int = 200):
    shown, last = statement_month()
    if shown.errors and status == 200:
        status = 422
    return render_template("studio/earnings.html", instructor=instructor, form=form, shown=shown,
                           months=earnings.statements(instructor.id, last),
                           balance=payouts.balance(instructor.id), payouts=payouts.instructor_payouts(instructor.id),
                           share=current_app.config["PLATFORM_SHARE_PERCENT"]), status


@bp.post("/studio/payouts")
def payout_request():
    """An instructor asks for part of their balance; an admin approves before anything is sent."""
    instructor = current_user._get_current_object()
    form = PayoutRequestForm()
    if not form.validate_on_submit():
        return earnings_view(instructor, form, 422)
    try:
        payouts.request_payout(instructor, form.amount.data, form.phone.data)
    except payouts.OverBalance:
        db.session.rollback()
        form.amount.errors = [_("That is more than your balance.")]
        return earnings_view(instructor, form, 409)
    db.session.commit()
    flash(_("Payout requested. An administrator approves it before it is sent to your M-Pesa."), "success")
    return redirect(url_for("studio.earnings_page"), 303)


@bp.get("/studio/earnings.csv")
def earnings_csv():
    instructor = whose()
    shown, last = statement_month()
    if shown.errors:
        abort(422)
    rows = [m.row() for m in earnings.statements(instructor.id, last)]
    return reports.csv_response(reports.Table("earnings", _l("Earnings"), CSV_HEADER, rows, chart=None),
                                f"mwanzo-earnings-{last.strftime('%Y-%m')}")
