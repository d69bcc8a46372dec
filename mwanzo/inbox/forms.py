from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import CheckboxInput, ListWidget

from mwanzo.inbox.models import NotificationSettings
from mwanzo.inbox.services import KIND_LABELS


class NotificationSettingsForm(FlaskForm):
    emailed = SelectMultipleField(_l("Email me about"), choices=[],
                                  widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(),
                                  validate_choice=True)
    daily_digest = BooleanField(_l("One email a day with everything, instead of an email each time"))

    @classmethod
    def for_settings(cls, settings: NotificationSettings, kinds) -> NotificationSettingsForm:
        """The kinds offered (the person's role's); on GET the stored choices, on POST what was sent (an
        unticked box sends nothing)."""
        if request.method == "POST":
            form = cls()
        else:
            form = cls(formdata=None, emailed=[kind.value for kind in kinds if kind.value not in settings.muted_kinds],
                       daily_digest=settings.daily_digest)
        form.emailed.choices = [SelectChoice(kind.value, KIND_LABELS[kind]) for kind in kinds]
        return form
