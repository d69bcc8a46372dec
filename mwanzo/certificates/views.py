"""Public verification of certificates, the PDF, the learner's list and revocation by admins."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from mwanzo.auth.access import login_required, role_required
from mwanzo.auth.models import Role
from mwanzo.certificates import services
from mwanzo.certificates.forms import RevokeForm, VerifyForm
from mwanzo.extensions import db, limiter
from mwanzo.urls import absolute_url
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit

bp = Blueprint("certificates", __name__)


def verify_limit() -> str:
    return current_app.config["VERIFY_RATE_LIMIT"]


# One budget per IP shared by every way of looking a code up, so no route enumerates faster.
lookup_limit = limiter.shared_limit(verify_limit, scope="certificate-lookup",
                                    exempt_when=lambda: request.endpoint == "certificates.verify"
                                    and not request.args.get("code"))


def verification_url(code: str) -> str:
    return absolute_url("certificates.certificate_detail", code=code)


@bp.get("/certificates")
@login_required
def certificate_list():
    return render_template("certificates/certificate_list.html",
                           certificates=services.certificates_of(current_user.id))


@bp.get("/verify")
@lookup_limit
def verify():
    form = VerifyForm(request.args)
    certificate, looked_up = None, False
    if request.args.get("code") is not None and form.validate():
        certificate, looked_up = services.find_by_code(form.code.data), True
    status = 404 if looked_up and certificate is None else 422 if form.errors else 200
    return render_template("certificates/verify.html", form=form, certificate=certificate, looked_up=looked_up,
                           code=services.normalise_code(form.code.data or "")), status


@bp.get("/certificates/<code>")
@lookup_limit
def certificate_detail(code: str):
    certificate = services.find_by_code(code)
    status = 200 if certificate else 404
    return render_template("certificates/certificate_detail.html", certificate=certificate, code=code,
                           share_url=verification_url(certificate.verification_code if certificate else code)), status


@bp.get("/certificates/<code>/pdf")
@lookup_limit
def certificate_pdf(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        abort(404)
    if certificate.revoked_at is not None:
        abort(410)
    data = services.certificate_pdf(certificate, verification_url(certificate.verification_code))
    response = make_response(data)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="mwanzo-{certificate.verification_code}.pdf"'
    return response


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def certificate_revoke(code: str):
    certificate = services.find_by_code(code)
    if certificate is None:
        abort(404)
    if request.method == "POST":
        require_confirmation("revoke", certificate.id)
    else:
        require_page_visit()
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            services.revoke_certificate(certificate, current_user, form.reason.data.strip())
        except services.AlreadyRevoked:
            abort(409, _("This certificate is already revoked."))
        db.session.commit()
        flash(_("Certificate %(code)s revoked.", code=certificate.verification_code), "success")
        return redirect(url_for("certificates.certificate_detail", code=certificate.verification_code))
    status = 409 if certificate.revoked_at else 422 if form.errors else 200
    return render_template("certificates/certificate_revoke.html", certificate=certificate, form=form,
                           token=confirmation_token("revoke", certificate.id)), status
