from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from mwanzo.auth.forms import kenyan_phone
from mwanzo.labels import choices
from mwanzo.payments.models import PaymentStatus

RECEIPT = re.compile(r"^[A-Z0-9]{8,20}$")


class CheckoutForm(FlaskForm):
    # Deliberately no amount field: the price is read from the course on the server.
    phone = StringField(_l("M-Pesa phone number"), validators=[DataRequired(), kenyan_phone])


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Why is this payment refunded?"), validators=[DataRequired(), Length(max=1000)])


class PaymentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    status = SelectField(_l("Status"), validators=[Optional()], default="",
                         choices=[SelectChoice("", _l("Any")), *choices(PaymentStatus)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    course = SelectField(_l("Course"), validators=[Optional()], default="")
    phone = StringField(_l("Phone contains"), validators=[Optional(), Length(max=15)])


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
