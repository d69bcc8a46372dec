"""Phone-first accounts: sign in or sign up with a Kenyan mobile number and a code by SMS, account recovery
by SMS, and confirming a phone added on the profile. One code page serves the three purposes; the number
and purpose being proven live in the session, never in the URL."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from mwanzo import jobs
from mwanzo.auth import codes, services
from mwanzo.auth.access import login_required, start_page
from mwanzo.auth.forms import CodeForm, PhoneForm, PhoneSignUpForm
from mwanzo.auth.tasks import issue_recovery_code
from mwanzo.auth.views import bp, start_session
from mwanzo.database import utcnow
from mwanzo.extensions import db, limiter
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone

PENDING = "phone_pending"   # {"phone", "purpose"}: the number a code was sent to
PROVEN = "phone_proven"     # {"phone", "at"}: a new number proven by code, waiting for the sign-up form
PROVEN_FOR = timedelta(minutes=10)


def tried_phone() -> str:
    """The number a code request is for: from the form, else (resend) the one in the session."""
    raw = request.form.get("phone") or (session.get(PENDING) or {}).get("phone") or ""
    try:
        return normalise_kenyan_phone(raw)
    except InvalidPhone:
        return "invalid"


def phone_key() -> str:
    """Rate-limit key for one number, from whichever address: each code rings a phone and costs money."""
    return "otp-phone:" + tried_phone()


def phone_limit() -> str:
    return current_app.config["OTP_PHONE_RATE_LIMIT"]


def ip_limit() -> str:
    return current_app.config["OTP_IP_RATE_LIMIT"]


def check_limit() -> str:
    return current_app.config["OTP_CHECK_RATE_LIMIT"]


def code_limits(view):
    """Codes sent: per number (strict) and per IP (high, for carrier NAT), so one number at its limit
    never stops others behind the same address."""
    view = limiter.limit(phone_limit, key_func=phone_key, methods=["POST"])(view)
    return limiter.limit(ip_limit, key_func=get_remote_address, methods=["POST"])(view)


def locale_for(phone: str) -> str:
    """The recipient's language: their account's, else the page's."""
    user = services.find_user_by_phone(phone)
    return (user.locale if user and user.locale else None) or str(get_locale())


def send_code(phone: str, purpose: str, user_id=None) -> bool:
    """Send a code and remember the number; a code asked for again too soon is not sent (the page says when)."""
    session[PENDING] = {"phone": phone, "purpose": purpose}
    try:
        codes.issue_code(phone, purpose, locale_for(phone), user_id=user_id)
    except codes.ResendTooSoon as exc:
        too_soon(exc.seconds)
        return False
    db.session.commit()
    return True


def too_soon(seconds: int) -> None:
    flash(_("A code was sent moments ago. You can ask for a new one in %(seconds)s seconds.", seconds=seconds),
          "info")


def send_recovery_code(phone: str) -> bool:
    """The same work for every number: the job decides whether it gets a real code or a decoy (see
    auth/tasks.py), so every page after this one, the wrong-code, expiry and resend answers included, and
    the time this request takes are the same whether or not an account has the number."""
    session[PENDING] = {"phone": phone, "purpose": codes.RESET}
    wait = codes.resend_wait(phone, codes.RESET)
    if wait:
        too_soon(wait)
        return False
    jobs.enqueue(issue_recovery_code, phone, str(get_locale()))
    db.session.commit()
    return True


@bp.route("/login/phone", methods=["GET", "POST"])
@code_limits
def phone_login():
    if current_user.is_authenticated:
        return redirect(start_page(current_user))
    form = PhoneForm()
    if form.validate_on_submit():
        send_code(form.phone.data, codes.SIGN_IN)
        return redirect(url_for("auth.phone_code"), code=303)
    return render_template("auth/phone_login.html", form=form), 422 if form.errors else 200


@bp.route("/forgot-password/phone", methods=["GET", "POST"])
@code_limits
def recover_by_phone():
    """The same answer whether or not the number has an account; only an account's number gets a code."""
    form = PhoneForm()
    if form.validate_on_submit():
        send_recovery_code(form.phone.data)
        return redirect(url_for("auth.phone_code"), code=303)
    return render_template("auth/recover_phone.html", form=form), 422 if form.errors else 200


@bp.post("/login/phone/resend")
@code_limits
def phone_resend():
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("auth.phone_login"))
    phone, purpose = pending["phone"], pending["purpose"]
    if purpose == codes.VERIFY_PHONE and not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if purpose == codes.RESET:
        sent = send_recovery_code(phone)
    else:
        sent = send_code(phone, purpose, user_id=current_user.id if current_user.is_authenticated else None)
    if sent:
        flash(_("We have sent a new code."), "info")
    return redirect(url_for("auth.phone_code"), code=303)


@bp.route("/login/phone/code", methods=["GET", "POST"])
@limiter.limit(check_limit, methods=["POST"])
def phone_code():
    pending = session.get(PENDING)
    if not pending:
        return redirect(url_for("auth.phone_login"))
    phone, purpose = pending["phone"], pending["purpose"]
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            codes.check_code(phone, purpose, form.code.data)
        except codes.WrongCode as exc:
            error = _("That code is not right. You have %(tries)s tries left.", tries=exc.tries_left)
        except codes.TooManyTries:
            error = _("Too many wrong tries. Ask for a new code.")
        except codes.CodeExpired:
            error = _("That code has expired or was replaced by a newer one. Ask for a new code.")
        else:
            return code_proven(phone, purpose)
        db.session.commit()  # the tries count holds
    return render_template("auth/phone_code.html", form=form, error=error, phone=phone, purpose=purpose,
                           wait=codes.resend_wait(phone, purpose)), 422 if error or form.errors else 200


def code_proven(phone: str, purpose: str):
    session.pop(PENDING, None)
    if purpose == codes.VERIFY_PHONE:
        if not current_user.is_authenticated:
            abort(403)
        try:
            services.confirm_phone(current_user._get_current_object(), phone)
        except (services.PhoneTaken, services.InvalidToken):
            db.session.rollback()
            flash(_("That number is already confirmed on another account."), "error")
            return redirect(url_for("auth.profile"))
        db.session.commit()
        flash(_("Your phone number is confirmed."), "success")
        return redirect(url_for("auth.profile"))
    user = services.find_user_by_phone(phone)
    if purpose == codes.RESET:
        db.session.commit()
        if user is None:
            abort(404)
        return redirect(url_for("auth.reset_password", token=services.make_token(user, "reset-password")))
    if user is None:
        db.session.commit()
        session[PROVEN] = {"phone": phone, "at": utcnow().timestamp()}
        return redirect(url_for("auth.phone_register"), code=303)
    if user.is_locked or not user.is_active:
        db.session.commit()
        flash(_("This account cannot sign in. Contact support if you think this is a mistake."), "error")
        return redirect(url_for("auth.login"))
    user.failed_login_attempts = 0
    user.last_login_at = utcnow()
    db.session.commit()
    start_session(user)
    return redirect(start_page(user))


@bp.route("/register/phone", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_RATE_LIMIT"], methods=["POST"])
def phone_register():
    proven = session.get(PROVEN)
    if not proven or utcnow().timestamp() - proven["at"] > PROVEN_FOR.total_seconds():
        session.pop(PROVEN, None)
        return redirect(url_for("auth.phone_login"))
    form = PhoneSignUpForm()
    if form.validate_on_submit():
        try:
            user = services.create_phone_user(form.name.data, proven["phone"], str(get_locale()))
        except services.PhoneTaken:
            return redirect(url_for("auth.phone_login"))
        db.session.commit()
        start_session(user)
        flash(_("Welcome to Mwanzo! Your account is ready."), "success")
        return redirect(url_for("catalog.home"))
    return render_template("auth/phone_register.html", form=form, phone=proven["phone"]), 422 if form.errors else 200


@bp.post("/profile/phone/confirm")
@login_required
def phone_confirm_start():
    """Send a code to the profile's unconfirmed phone."""
    phone = current_user.phone
    if not phone or current_user.is_phone_verified:
        return redirect(url_for("auth.profile"))
    send_code(phone, codes.VERIFY_PHONE, user_id=current_user.id)
    return redirect(url_for("auth.phone_code"), code=303)
