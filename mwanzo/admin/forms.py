from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from mwanzo.auth.models import Role
from mwanzo.labels import choices

class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=choices(Role))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    slug = StringField(_l("Web address name (optional)"), validators=[Optional(), Length(max=100)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    display_order = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=0, max=10000)])
