from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp


class DeleteAccountForm(FlaskForm):
    """Re-authenticated by the password, or by a code texted to the account's confirmed phone."""
    password = PasswordField(_l("Your password"), validators=[Optional()])
    code = StringField(_l("Or the code we texted you"), validators=[Optional(), Regexp(r"^\s*[0-9]{6}\s*$")])
    keep_certificates = RadioField(
        _l("Your certificates"),
        choices=[SelectChoice("yes", _l("Keep them verifiable: employers can still check them by code, with my name")),
                 SelectChoice("no", _l("Delete them: their codes will no longer verify"))],
        validators=[InputRequired(_l("Choose what happens to your certificates."))],
    )
    confirm = BooleanField(_l("I understand this cannot be undone"),
                           validators=[DataRequired(_l("Tick the box to confirm."))])
