from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from mwanzo.auth.forms import kenyan_phone
from mwanzo.payments.models import PaymentStatus


class CheckoutForm(FlaskForm):
    # Deliberately no amount field: the price is read from the course on the server.
    phone = StringField(_l("M-Pesa phone number"), validators=[DataRequired(), kenyan_phone])


class RefundForm(FlaskForm):
    reason = TextAreaField(_l("Why is this payment refunded?"), validators=[DataRequired(), Length(max=1000)])


class PaymentFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    status = SelectField(_l("Status"), validators=[Optional()], default="",
                         choices=[SelectChoice("", _l("Any"))] + [SelectChoice(s.value, s.value) for s in PaymentStatus])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    course = SelectField(_l("Course"), validators=[Optional()], default="")
    phone = StringField(_l("Phone contains"), validators=[Optional(), Length(max=15)])
