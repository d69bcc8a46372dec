"""Employer verification (/admin/employers): the companies waiting for review, oldest first; an admin
verifies one (its jobs then carry the "Verified employer" badge) or rejects it with a reason the employer
reads. Both are made from their confirmation page (mwanzo/web/confirmation.py) and land in the audit log,
on the employer's account; the rule is careers.services.decide_verification."""
from __future__ import annotations

import uuid
from functools import partial

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.admin.forms import EmployerFilterForm, EmployerRejectForm
from mwanzo.admin.views import bp, change_confirm_page, change_done, reason_change, reason_page
from mwanzo.careers import services as careers
from mwanzo.web.confirmation import require_confirmation
from mwanzo.web.listing import list_page


def profile_or_404(user_id: uuid.UUID):
    profile = careers.get_profile(user_id)
    if profile is None:
        abort(404)
    return profile


@bp.get("/admin/employers")
def employer_list():
    form = EmployerFilterForm(request.args)
    listing = list_page(form, careers.verification_search, careers.PER_PAGE)
    return render_template("admin/employer_list.html", form=form, listing=listing), listing.status


@bp.get("/admin/employers/<uuid:user_id>/verify")
def employer_verify_confirm(user_id: uuid.UUID):
    profile = profile_or_404(user_id)
    return change_confirm_page(None, "verify-employer", user_id, url_for("admin.employer_verify", user_id=user_id),
                               url_for("admin.employer_list"), template="admin/employer_verify.html", profile=profile)


def decide(profile, verified: bool, reason: str | None = None) -> None:
    try:
        careers.decide_verification(current_user._get_current_object(), profile, verified, reason)
    except careers.NotPending:
        abort(409, _("This company is not waiting for review."))


@bp.post("/admin/employers/<uuid:user_id>/verify")
def employer_verify(user_id: uuid.UUID):
    require_confirmation("verify-employer", user_id)
    decide(profile_or_404(user_id), True)
    return change_done(_("Saved and recorded in the audit log."), url_for("admin.employer_list"))


def reject_page(profile, form=None, status: int = 200):
    return reason_page(_("Refuse to verify “%(company)s”? The employer reads your reason and may ask again.",
                         company=profile.company_name),
                       "reject-employer", profile.user_id, url_for("admin.employer_reject", user_id=profile.user_id),
                       url_for("admin.employer_list"), form or EmployerRejectForm(), status)


@bp.get("/admin/employers/<uuid:user_id>/reject")
def employer_reject_confirm(user_id: uuid.UUID):
    return reject_page(profile_or_404(user_id))


@bp.post("/admin/employers/<uuid:user_id>/reject")
def employer_reject(user_id: uuid.UUID):
    require_confirmation("reject-employer", user_id)
    profile = profile_or_404(user_id)
    return reason_change(EmployerRejectForm(), partial(reject_page, profile), partial(decide, profile, False),
                         url_for("admin.employer_list"), _("Saved and recorded in the audit log."))
