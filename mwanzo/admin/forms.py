"""The admin console's forms: users and categories, course reviews, payments, certificate revocation."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError

from mwanzo.auth.models import Role
from mwanzo.careers.models import VerificationStatus
from mwanzo.labels import choices
from mwanzo.payments.models import PaymentStatus
from mwanzo.web.listing import ChoiceField, DayField, ListForm, trimmed

RECEIPT = re.compile(r"^[A-Z0-9]{8,20}$")


class UserFilterForm(ListForm):
    q = StringField(_l("Name or email"), filters=[trimmed], validators=[Length(max=100)])
    role = ChoiceField(_l("Role"), default="", choices=[SelectChoice("", _l("Any role")), *choices(Role)])
    status = ChoiceField(_l("Status"), default="", choices=[
        SelectChoice("", _l("Any status")), SelectChoice("active", _l("Active")), SelectChoice("locked", _l("Locked")),
        SelectChoice("inactive", _l("Deactivated")), SelectChoice("unverified", _l("Email not verified"))])


class CourseFilterForm(ListForm):
    q = StringField(_l("Course title"), filters=[trimmed], validators=[Length(max=100)])


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(Role))


class UserEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)], filters=[lambda v: (v or "").strip()])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
                        filters=[lambda v: (v or "").strip()])


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason (kept in the audit log)"), validators=[DataRequired(), Length(min=5, max=1000)])


class GrantForm(FlaskForm):
    class Meta:
        csrf = False  # opens the confirmation page (GET); the page's own form makes the change

    course = StringField(_l("Course web address name"), validators=[DataRequired(), Length(max=220)],
                         filters=[lambda v: (v or "").strip().strip("/").rsplit("/", 1)[-1]])


class SearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    q = StringField(_l("Email, phone, payment reference, M-Pesa receipt or certificate code"),
                    validators=[Optional(), Length(max=100)])


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    slug = StringField(_l("Web address name (optional)"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    display_order = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)])


# ---------------------------------------------------------------- course reviews

class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (sent to the instructor)"), validators=[DataRequired(), Length(min=5, max=4000)])


class RevisionApproveForm(FlaskForm):
    """The revision's version the admin read: approving a newer one needs another look."""
    version = HiddenField(validators=[InputRequired()])

    def read_version(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


class RevisionRejectForm(RevisionApproveForm, RejectForm):
    """The revision's version, as read by the admin, and the reason for sending it back."""


# ---------------------------------------------------------------- payments

class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Why is this payment refunded?"), validators=[DataRequired(), Length(max=1000)])


class PaymentFilterForm(ListForm):
    status = ChoiceField(_l("Status"), default="", choices=[SelectChoice("", _l("Any")), *choices(PaymentStatus)])
    date_from = DayField(_l("From"), validators=[Optional()])
    date_to = DayField(_l("To"), validators=[Optional()])
    course = StringField(_l("Course"), filters=[trimmed], validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone contains"), filters=[trimmed], validators=[Optional(), Length(max=15)])


class CallbackRefundForm(FlaskForm):
    """The refund of money a success callback reported for no payment of ours."""

    receipt = StringField(_l("M-Pesa receipt number"), filters=[lambda value: (value or "").strip().upper()])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=1000)])

    def receipt_required(self) -> bool:
        return True

    def validate_receipt(self, field) -> None:
        if self.receipt_required() and not field.data:
            raise ValidationError(_l("Enter the M-Pesa receipt number from the statement."))
        if field.data and not RECEIPT.match(field.data):
            raise ValidationError(_l("Enter the receipt as it appears in the M-Pesa message, for example SKQ96C7K7H."))


class AttentionSettleForm(CallbackRefundForm):
    """One operator decision about money M-Pesa may have taken without the learner getting the course."""

    action = RadioField(_l("What happened"), validators=[DataRequired()], choices=[
        SelectChoice("grant", _l("M-Pesa took the money: give the learner the course")),
        SelectChoice("refund", _l("The money was sent back: record the refund")),
        SelectChoice("no_charge", _l("No money was taken")),
    ])

    def receipt_required(self) -> bool:
        return self.action.data in ("grant", "refund")


class PayoutSettleForm(CallbackRefundForm):
    """An admin's answer, from the M-Pesa statement, for a payout whose withdraw went unanswered."""

    action = RadioField(_l("What the M-Pesa statement shows"), validators=[DataRequired()], choices=[
        SelectChoice("paid", _l("The money reached the recipient: mark it paid")),
        SelectChoice("failed", _l("No money left: mark it failed (back in the balance, a refund can be sent again)")),
    ])

    def receipt_required(self) -> bool:
        return self.action.data == "paid"


class RefundDecisionForm(FlaskForm):
    """Approve (the money is sent back to the learner's M-Pesa) or decline (a note the learner reads)."""

    action = RadioField(_l("Decision"), validators=[DataRequired()], choices=[
        SelectChoice("approve", _l("Approve: send the money back to the learner's M-Pesa and take the course away")),
        SelectChoice("decline", _l("Decline")),
    ])
    note = TextAreaField(_l("Note"), validators=[DataRequired(), Length(max=1000)])


# ---------------------------------------------------------------- certificates

class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(min=5, max=2000)])


class HideForm(FlaskForm):
    reason = TextAreaField(_l("Reason shown to the author"), validators=[DataRequired(), Length(min=3, max=500)])


class EmployerFilterForm(ListForm):
    status = ChoiceField(_l("Verification"), default=VerificationStatus.PENDING.value, choices=choices(VerificationStatus))


class EmployerRejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason (shown to the employer)"), validators=[DataRequired(), Length(min=5, max=2000)])
