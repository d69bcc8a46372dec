from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from mwanzo.auth.forms import kenyan_phone


class CheckoutForm(FlaskForm):
    # Deliberately no amount field: the price is read from the course on the server.
    phone = StringField(_l("M-Pesa phone number"), validators=[DataRequired(), kenyan_phone])
    coupon = StringField(_l("Coupon code (optional)"), validators=[Optional(), Length(max=40)],
                         filters=[lambda value: (value or "").strip().upper()])


class CouponForm(FlaskForm):
    """Made by an instructor (for one of their courses) or an admin (for one course or all)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(min=3, max=40),
                                               Regexp(r"^[A-Za-z0-9-]+$", message=_l("Letters, digits and dashes only."))],
                       filters=[lambda value: (value or "").strip().upper()])
    kind = SelectField(_l("Discount"), choices=[SelectChoice("PERCENT", _l("Percentage off")),
                                                SelectChoice("FIXED", _l("Shillings off"))])
    value = DecimalField(_l("Amount off (per cent or KES)"), places=2,
                         validators=[InputRequired(), NumberRange(min=Decimal("0.01"), max=Decimal("1000000"))])
    course = SelectField(_l("Course"), validators=[Optional()], default="")
    expires_on = DateField(_l("Last day it can be used (optional)"), validators=[Optional()])
    max_uses = IntegerField(_l("Total uses (optional)"), validators=[Optional(), NumberRange(min=1, max=1000000)])
    per_learner = IntegerField(_l("Uses per learner"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)])

    def validate_value(self, field) -> None:
        if self.kind.data == "PERCENT" and field.data is not None and field.data > 100:
            raise ValidationError(_l("A percentage can be at most 100."))


class AdminCouponForm(CouponForm):
    """An admin names the course by its web address name, or leaves it empty for every course."""

    course = StringField(_l("Course web address name (empty: every course)"), validators=[Optional(), Length(max=220)],
                         filters=[lambda value: (value or "").strip().strip("/").rsplit("/", 1)[-1]])


class RefundRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why do you want your money back?"), validators=[DataRequired(), Length(min=5, max=1000)])


class PayoutRequestForm(FlaskForm):
    amount = DecimalField(_l("Amount (KES)"), places=0,
                          validators=[InputRequired(), NumberRange(min=Decimal("10"), max=Decimal("250000"))])
    phone = StringField(_l("M-Pesa phone number"), validators=[DataRequired(), kenyan_phone])
