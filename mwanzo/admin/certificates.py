"""Revoking a certificate: an admin page kept at /certificates/<code>/revoke, beside the certificate's
public page. The rule is certificates.services.revoke_certificate."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from mwanzo.admin.forms import RevokeForm
from mwanzo.admin.views import bp
from mwanzo.certificates import services
from mwanzo.extensions import db
from mwanzo.web.confirmation import confirmation_token, require_confirmation, require_page_visit


@bp.route("/certificates/<code>/revoke", methods=["GET", "POST"])
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
    return render_template("admin/certificate_revoke.html", certificate=certificate, form=form,
                           token=confirmation_token("revoke", certificate.id)), status
