"""The privacy notice and terms, and the learner's own data page: download it, delete the account."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy import select

from mwanzo.auth import codes
from mwanzo.auth.access import learner_key, login_required
from mwanzo.extensions import db, limiter
from mwanzo.privacy import services
from mwanzo.privacy.forms import DeleteAccountForm
from mwanzo.privacy.models import DataRequest, RequestKind, RequestStatus
from mwanzo.storage import get_storage

bp = Blueprint("privacy", __name__)


@bp.get("/privacy")
def notice():
    return render_template("privacy/notice.html", version=current_app.config["PRIVACY_VERSION"])


@bp.get("/terms")
def terms():
    return render_template("privacy/terms.html", version=current_app.config["PRIVACY_VERSION"])


def own_requests():
    return list(db.session.scalars(select(DataRequest).where(DataRequest.user_id == current_user.id)
                                   .order_by(DataRequest.created_at.desc()).limit(10)))


@bp.get("/account/data")
@login_required
def my_data():
    return render_template("privacy/my_data.html", requests=own_requests(), form=DeleteAccountForm(formdata=None))


@bp.post("/account/data/export")
@login_required
@limiter.limit("5 per day", key_func=learner_key)
def export_request():
    pending = any(r.kind == RequestKind.EXPORT and r.status == RequestStatus.PENDING for r in own_requests())
    if not pending:
        services.request_export(current_user._get_current_object())
        db.session.commit()
    flash(_("We are preparing your data. We will send you a link to download it when it is ready."), "info")
    return redirect(url_for("privacy.my_data"), code=303)


@bp.get("/account/data/download/<token>")
@login_required
def export_download(token: str):
    request = services.request_for_token(token)
    if request is None or request.user_id != current_user.id:
        abort(404)
    with get_storage().open(request.archive_key) as handle:
        data = handle.read()
    response = current_app.response_class(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = 'attachment; filename="mwanzo-my-data.zip"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def reauthenticated(user, form: DeleteAccountForm) -> bool:
    """The password, or the code texted for this; a wrong answer says which field."""
    if form.password.data:
        if user.check_password(form.password.data):
            return True
        form.password.errors.append(_("That is not your password."))
        return False
    if form.code.data and user.phone and user.is_phone_verified:
        try:
            codes.check_code(user.phone, codes.REAUTH, form.code.data)
            return True
        except codes.CodeError:
            db.session.commit()  # the tries count holds
            form.code.errors.append(_("That code is not right or has expired. Ask for a new one."))
            return False
    form.password.errors.append(_("Enter your password, or ask for a code by SMS."))
    return False


@bp.post("/account/delete/code")
@login_required
@limiter.limit("5 per hour", key_func=learner_key)
def delete_code():
    """Text a code to the confirmed phone, for learners who signed up by phone and have no password."""
    user = current_user._get_current_object()
    if user.phone and user.is_phone_verified:
        try:
            codes.issue_code(user.phone, codes.REAUTH, user.locale, user_id=user.id)
        except codes.ResendTooSoon as exc:
            flash(_("A code was sent moments ago. You can ask for a new one in %(seconds)s seconds.",
                    seconds=exc.seconds), "info")
        else:
            db.session.commit()
            flash(_("We have texted you a code. Enter it below to delete your account."), "info")
    return redirect(url_for("privacy.my_data"), code=303)


@bp.post("/account/delete")
@login_required
@limiter.limit("5 per 15 minutes", key_func=learner_key)
def delete_account():
    """Re-authenticated, then erased in one transaction and signed out everywhere."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if reauthenticated(user, form):
            try:
                services.erase_account(user, keep_certificates=form.keep_certificates.data == "yes")
            except services.PaymentInFlight:
                flash(_("A payment of yours is still being settled. Try again in 15 minutes."), "error")
                return redirect(url_for("privacy.my_data"))
            except services.NotALearnerAccount:
                flash(_("Instructor and employer accounts are deleted by our support team. Please contact us."), "error")
                return redirect(url_for("privacy.my_data"))
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your account and personal data are deleted."), "success")
            return redirect(url_for("catalog.home"), code=303)
    return render_template("privacy/my_data.html", requests=own_requests(), form=form), 422
