from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from mwanzo.auth.forms import kenyan_phone


class CheckoutForm(FlaskForm):
    # Deliberately no amount field: the price is read from the course on the server.
    phone = StringField(_l("M-Pesa phone number"), validators=[DataRequired(), kenyan_phone])
