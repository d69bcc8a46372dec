from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from mwanzo.auth import services
from mwanzo.auth.access import login_required, start_page
from mwanzo.auth.forms import (ChangeEmailForm, ChangePasswordForm, EmailOnlyForm, LoginForm, ProfileForm, RegisterForm,
                               ResetPasswordForm)
from mwanzo.auth.models import Role
from mwanzo.extensions import db, limiter
from mwanzo.phones import display_phone
from mwanzo.web.security import is_safe_next

bp = Blueprint("auth", __name__)


# Long enough to outlast any login window: when the counter expires, the keys fall back to generation 0,
# whose windows are gone by then.
WINDOW_GENERATION_SECONDS = 30 * 24 * 3600


def window_generation_key(email: str) -> str:
    return "login-windows:" + services.normalise_email(email)


def window_generation(email: str) -> int:
    """How many password resets the account has had lately; part of its rate-limit keys. While the limits'
    storage (Redis) is unreachable the limiter counts in memory, from generation 0."""
    storage = limiter.storage
    try:
        return storage.get(window_generation_key(email))
    except storage.base_exceptions:
        return 0


def start_fresh_login_windows(email: str) -> None:
    """After a password reset, the account's window and every address's window for it start empty.

    The per-address keys cannot be listed (neither memory:// nor Redis storage can search them), so instead
    of clearing them one by one the account's keys move on to a new generation and the old windows expire.
    With the storage unreachable the reset still unlocks the account; only the windows stay as they are."""
    storage = limiter.storage
    try:
        storage.incr(window_generation_key(email), WINDOW_GENERATION_SECONDS)
    except storage.base_exceptions:
        current_app.logger.warning("rate-limit storage unreachable: login windows for a reset account kept")


def tried_account() -> str:
    email = request.form.get("email", "")
    return f"{services.normalise_email(email)}:{window_generation(email)}"


def account_key() -> str:
    """Rate-limit key for the account being tried, whatever IP the attempts come from."""
    return "account:" + tried_account()


def address_account_key() -> str:
    """Rate-limit key for one address trying one account."""
    return f"pair:{get_remote_address()}:{tried_account()}"


def login_failed(response) -> bool:
    return response.status_code == 422


def login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def pair_limit() -> str:
    return current_app.config["LOGIN_PAIR_RATE_LIMIT"]


def account_limit() -> str:
    return current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"]


def register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def start_session(user, remember: bool = False) -> None:
    # A fresh session on login: nothing from before sign-in carries over (no fixation).
    session.clear()
    session.permanent = True
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(register_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("catalog.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        services.register(form.name.data, form.email.data, form.password.data,
                          role=Role(form.role.data), phone=form.phone.data or None, locale=chosen_language())
        db.session.commit()
        return redirect(url_for("auth.registration_sent"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


def chosen_language() -> str | None:
    """The language picked with the switcher before signing up (its cookie), not the browser's guess."""
    code = request.cookies.get("lang")
    return code if code in current_app.config["LANGUAGES"] else None


@bp.get("/register/check-email")
def registration_sent():
    """The one answer to every valid sign-up, new address or not."""
    return render_template("auth/registration_sent.html")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
@limiter.limit(pair_limit, key_func=address_account_key, methods=["POST"], deduct_when=login_failed)
@limiter.limit(account_limit, key_func=account_key, methods=["POST"], deduct_when=login_failed)
def login():
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_next(next_url) else start_page(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.AccountLocked:
            error = _("This account is locked after too many wrong passwords. Reset your password to unlock it, "
                      "or ask an administrator.")
        except services.AccountInactive:
            error = _("This account has been deactivated. Contact support if you think this is a mistake.")
        except services.InvalidCredentials:
            error = _("Wrong email or password. If you have just signed up, first open the link we emailed you.")
        else:
            db.session.commit()
            start_session(user, remember=form.remember.data)
            return redirect(next_url if is_safe_next(next_url) else start_page(user))
        db.session.commit()  # keep the failed-attempt count and any lock
    status = 422 if error or form.errors else 200
    return render_template("auth/login.html", form=form, error=error, next=next_url), status


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        services.end_sessions(current_user._get_current_object())
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("catalog.home"))


@bp.get("/verify-email/<token>")
def verify_email(token: str):
    try:
        services.verify_email(token)
    except services.InvalidToken:
        flash(_("That verification link is invalid or has expired. We can send you a new one."), "error")
        return redirect(url_for("auth.verification_resend"))
    db.session.commit()
    flash(_("Thank you, your email address is verified."), "success")
    return redirect(url_for("catalog.home" if current_user.is_authenticated else "auth.login"))


@bp.route("/verify-email", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def verification_resend():
    form = EmailOnlyForm(email=current_user.email if current_user.is_authenticated else None)
    if form.validate_on_submit():
        services.resend_verification(form.email.data)
        db.session.commit()
        flash(_("If that address needs verifying, a new link is on its way."), "info")
        return redirect(url_for("auth.verification_resend"))
    return render_template("auth/verification_resend.html", form=form), 422 if form.errors else 200


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
@limiter.limit(reset_limit, key_func=account_key, methods=["POST"])
def forgot_password():
    form = EmailOnlyForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses that address, we have emailed it a reset link. It works for one hour."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot_password.html", form=form), 422 if form.errors else 200


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(token)
    except services.InvalidToken:
        flash(_("That reset link is invalid, used or expired. Ask for a new one below."), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user = services.reset_password(token, form.password.data)
        db.session.commit()
        start_fresh_login_windows(user.email)
        logout_user()
        start_session(user)
        flash(_("Your password is changed and your account is unlocked."), "success")
        return redirect(start_page(user))
    return render_template("auth/reset_password.html", form=form), 422 if form.errors else 200


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.phone.data = display_phone(current_user.phone) or None
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        code_due = services.change_phone(user, form.phone.data or None)
        services.update_profile(
            user, name=form.name.data.strip(), bio=form.bio.data or None,
            locale=form.locale.data or None, data_saver=form.data_saver.data,
            show_to_employers=form.show_to_employers.data,
            accepts_employer_messages=form.accepts_employer_messages.data, email_weekly_report=form.email_weekly_report.data,
            sms_study_reminder=form.sms_study_reminder.data,
        )
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        if code_due:
            from mwanzo.auth import codes, phone

            phone.send_code(user.phone, codes.VERIFY_PHONE, user_id=user.id)
            return redirect(url_for("auth.phone_code"), code=303)
        return redirect(url_for("auth.profile"))
    return render_profile(form, password_form), 422 if form.errors else 200


def render_profile(form, password_form, email_form=None):
    email_form = email_form or ChangeEmailForm(prefix="em", formdata=None, email=current_user.email)
    return render_template("auth/profile.html", form=form, password_form=password_form, email_form=email_form)


@bp.post("/profile/email")
@login_required
def email_change():
    """Add, change or (learners only) remove the email; a new address is verified by its emailed link."""
    email_form = ChangeEmailForm(prefix="em")
    if email_form.validate_on_submit():
        try:
            services.change_email(current_user._get_current_object(), email_form.email.data)
        except services.EmailTaken:
            email_form.email.errors.append(_("Another account uses that address."))
        except ValueError:
            email_form.email.errors.append(_("Instructors and employers need an email address."))
        else:
            db.session.commit()
            flash(_("Saved. If you gave a new address, follow the link we emailed to it to verify it."), "success")
            return redirect(url_for("auth.profile"))
    return render_profile(ProfileForm(obj=current_user, formdata=None), ChangePasswordForm(prefix="pw"),
                          email_form), 422


@bp.post("/profile/password")
@login_required
def password_change():
    form = ProfileForm(obj=current_user, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        if not current_user.check_password(password_form.current_password.data):
            password_form.current_password.errors.append(_("That is not your current password."))
        else:
            user = current_user._get_current_object()
            services.set_new_password(user, password_form.password.data)
            db.session.commit()
            start_session(user)
            flash(_("Your password is changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_profile(form, password_form), 422

from mwanzo.auth import phone  # noqa: E402,F401  (its routes are on this blueprint)
