from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from mwanzo.auth.models import BCRYPT_MAX_BYTES, Role
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone

PASSWORD_RULES = [
    (re.compile(r".{8,}", re.S), _l("at least 8 characters")),
    (re.compile(r"[A-Z]"), _l("an uppercase letter")),
    (re.compile(r"[a-z]"), _l("a lowercase letter")),
    (re.compile(r"\d"), _l("a digit")),
    (re.compile(r"[^A-Za-z0-9]"), _l("a special character such as ! or #")),
]


def password_policy(form, field) -> None:
    missing = [str(text) for pattern, text in PASSWORD_RULES if not pattern.search(field.data or "")]
    if missing:
        raise ValidationError(_l("Your password needs %(missing)s.", missing=", ".join(missing)))
    if len((field.data or "").encode()) > BCRYPT_MAX_BYTES:
        raise ValidationError(_l("Your password is too long: use at most 72 characters (fewer with letters "
                                 "outside A–Z)."))


def kenyan_phone(form, field) -> None:
    if field.data:
        try:
            field.data = normalise_kenyan_phone(field.data)
        except InvalidPhone:
            raise ValidationError(_l("Enter a Kenyan mobile number, for example 0712 345 678.")) from None


def consent_field() -> BooleanField:
    return BooleanField(_l("I have read and agree to the privacy notice and the terms of use"),
                        validators=[DataRequired(_l("Please agree to the privacy notice and terms to continue."))])


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), kenyan_phone])
    password = PasswordField(_l("Password"), validators=[DataRequired(), password_policy])
    confirm = PasswordField(_l("Repeat password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
    role = RadioField(
        _l("I am joining as"),
        choices=[SelectChoice(Role.STUDENT.value, _l("A learner")),
                 SelectChoice(Role.INSTRUCTOR.value, _l("An instructor")),
                 SelectChoice(Role.EMPLOYER.value, _l("An employer"))],
        default=Role.STUDENT.value,
    )
    consent = consent_field()


class PhoneForm(FlaskForm):
    phone = StringField(_l("Mobile number"), validators=[DataRequired(), kenyan_phone])


class CodeForm(FlaskForm):
    code = StringField(_l("The 6-digit code"), validators=[
        DataRequired(), Regexp(r"^\s*[0-9]{6}\s*$", message=_l("Enter the 6 digits from the text message."))])


class PhoneSignUpForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    consent = consent_field()


class ChangeEmailForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)])


class LoginForm(FlaskForm):
    # An email address, or the verified phone number of an account.
    email = StringField(_l("Email or phone number"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailOnlyForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), password_policy])
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])


class ProfileForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    phone = StringField(_l("Phone"), validators=[Optional(), kenyan_phone])
    bio = TextAreaField(_l("About you"), validators=[Optional(), Length(max=2000)])
    # "" keeps following the browser (or the switcher's cookie) until the learner picks a language here.
    locale = SelectField(_l("Language"), choices=[SelectChoice("", _l("Not chosen: follow my browser")),
                                                  SelectChoice("en", "English"), SelectChoice("sw", "Kiswahili")],
                         default="")
    data_saver = BooleanField(_l("Data saver: play the lowest video quality unless I choose otherwise"))
    show_to_employers = BooleanField(_l("Show me to employers in the candidate pool"))
    accepts_employer_messages = BooleanField(_l("Let employers in the pool send me messages (my email and phone "
                                                "are shown only to those I accept)"))
    email_weekly_report = BooleanField(_l("Send me a weekly progress report"))
    sms_study_reminder = BooleanField(_l("Text me a reminder when I have not studied for a week"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), password_policy])
    confirm = PasswordField(_l("Repeat new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords do not match."))])
