"""Coupon codes: an instructor's for their own courses at /studio/coupons; the admin console's page
(/admin/coupons, every course) uses the same page through coupon_page. The rules are in payments/coupons.py."""
from __future__ import annotations

import uuid
from datetime import datetime, time

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from mwanzo.courses.models import Course
from mwanzo.database import business_timezone
from mwanzo.extensions import db
from mwanzo.payments import coupons
from mwanzo.payments.forms import CouponForm
from mwanzo.payments.models import CouponKind
from mwanzo.studio import services
from mwanzo.studio.views import bp


def course_for(form: CouponForm) -> Course | None:
    """The course the form names: one of the instructor's (a choice), or for an admin a web address name."""
    if not form.course.data:
        return None
    if form.course.type == "SelectField":
        return db.session.scalar(services.my_courses(current_user, {}).where(Course.id == uuid.UUID(form.course.data)))
    return db.session.scalar(select(Course).where(Course.slug == form.course.data))


def ends_of(day) -> datetime | None:
    """A coupon's last day lasts until midnight in Nairobi."""
    return datetime.combine(day, time(23, 59, 59), business_timezone()) if day else None


def coupon_page(form: CouponForm, endpoint: str, confirm_token: str | None = None):
    """List the actor's coupons and create one from ``form`` (posted to ``endpoint``, with the admin's
    ``confirm_token`` when given)."""
    actor = current_user._get_current_object()
    status = 200
    if form.validate_on_submit():
        course = course_for(form)
        if form.course.data and course is None:
            form.course.errors.append(_("No course has this web address name."))
        else:
            try:
                coupons.create(actor, code=form.code.data, kind=CouponKind(form.kind.data), value=form.value.data,
                               course=course, expires_at=ends_of(form.expires_on.data), max_uses=form.max_uses.data,
                               per_learner=form.per_learner.data)
            except coupons.NotYourCourse:
                form.course.errors.append(_("Choose one of your courses."))
            except coupons.CodeTaken:
                form.code.errors.append(_("Another coupon already has this code."))
            else:
                db.session.commit()
                flash(_("Coupon %(code)s created.", code=form.code.data), "success")
                return redirect(url_for(endpoint), 303)
    if form.errors:
        status = 422
    return render_template("payments/coupon_list.html", form=form, coupons=coupons.coupons_by(actor),
                           action_url=url_for(endpoint), confirm_token=confirm_token), status


@bp.route("/studio/coupons", methods=["GET", "POST"])
def coupon_list():
    if current_user.is_admin:
        return redirect(url_for("admin.coupon_list"))
    form = CouponForm()
    form.course.choices = [SelectChoice(str(c.id), c.title)
                           for c in db.session.scalars(services.my_courses(current_user, {}))]
    return coupon_page(form, "studio.coupon_list")
