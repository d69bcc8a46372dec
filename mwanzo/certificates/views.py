"""Public verification of certificates, the PDF and the learner's list (admins revoke in mwanzo/admin/certificates.py)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, make_response, render_template, request
from flask_login import current_user

from mwanzo.auth.access import login_required
from mwanzo.certificates import services
from mwanzo.certificates.forms import VerifyForm
from mwanzo.extensions import limiter
from mwanzo.urls import absolute_url

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
