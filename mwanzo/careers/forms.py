from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, DecimalField, SelectField, SelectMultipleField, StringField,
                     TextAreaField, URLField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from mwanzo.careers.contacts import MESSAGE_MAX_LENGTH
from mwanzo.careers.models import ApplicationStatus, JobKind
from mwanzo.careers.services import local_today
from mwanzo.courses.services import published_courses_named
from mwanzo.images import MAX_IMAGE_MEGABYTES, upload_validators
from mwanzo.labels import choices
from mwanzo.web.listing import ChoiceField, ListForm, trimmed


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EmployerProfileForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[DataRequired(), Length(max=200)])
    logo = FileField(_l("Logo (JPEG, PNG or WebP, up to %(megabytes)s MB)", megabytes=MAX_IMAGE_MEGABYTES),
                     validators=upload_validators())
    about = TextAreaField(_l("About the company"), validators=[Optional(), Length(max=5000)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    website = URLField(_l("Website"), validators=[Optional(), URL(message=_l("Enter a full address, e.g. https://example.co.ke")), Length(max=300)])


class JobForm(FlaskForm):
    title = StringField(_l("Job title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[DataRequired(), Length(max=20000)])
    location = StringField(_l("Location"), validators=[Optional(), Length(max=200)])
    is_remote = BooleanField(_l("Remote work possible"))
    kind = SelectField(_l("Kind of job"), choices=choices(JobKind))
    salary_min = DecimalField(_l("Salary from (KES per month, optional)"), places=0,
                              validators=[Optional(), NumberRange(min=0)])
    salary_max = DecimalField(_l("Salary up to (KES per month, optional)"), places=0,
                              validators=[Optional(), NumberRange(min=0)])
    required_courses = TextAreaField(_l("Required courses"), filters=[trimmed], validators=[Length(max=4000)])
    preferred_courses = TextAreaField(_l("Preferred courses"), filters=[trimmed], validators=[Length(max=4000)])
    skills = StringField(_l("Skills (separated by commas)"), validators=[Optional(), Length(max=500)])
    deadline = DateField(_l("Apply by (optional)"), validators=[Optional()])

    # The courses are typed (one per line), never listed: there may be thousands.
    required: list = []
    preferred: list = []

    def show_courses(self, required, preferred) -> None:
        """The job's courses, one title per line, as the form shows them before any change."""
        self.required_courses.data = "\n".join(c.title for c in required)
        self.preferred_courses.data = "\n".join(c.title for c in preferred)

    def validate_required_courses(self, field) -> None:
        self.required = named_courses(field)

    def validate_preferred_courses(self, field) -> None:
        self.preferred = named_courses(field)

    def validate_salary_max(self, field) -> None:
        if field.data is not None and self.salary_min.data is not None and field.data < self.salary_min.data:
            raise ValidationError(_l("The top of the range must not be below the bottom."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.location.data or "").strip() and not self.is_remote.data:
            self.location.errors = [*self.location.errors, _l("Give a location, or tick remote.")]
            valid = False
        return valid

    def validate_deadline(self, field) -> None:
        if field.data and field.data < local_today():
            raise ValidationError(_l("The deadline is in the past."))

    def skill_list(self) -> list[str]:
        seen: dict[str, None] = {}
        for skill in (self.skills.data or "").split(","):
            if skill.strip():
                seen.setdefault(skill.strip()[:60], None)
        return list(seen)[:20]


def named_courses(field) -> list:
    courses, unknown = published_courses_named((field.data or "").splitlines())
    if unknown:
        raise ValidationError(_l("No published course is called “%(name)s”. Copy its title or the end of its "
                                 "address from the course page.", name=unknown[0][:80]))
    return courses


class ApplyForm(FlaskForm):
    note = TextAreaField(_l("A short note to the employer"), validators=[Optional(), Length(max=2000)])
    certificates = CheckboxListField(_l("Certificates to attach"), choices=[])


class ApplicationStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=choices(ApplicationStatus))


class VerifyCodeForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(_l("Certificate code"), validators=[DataRequired(), Length(max=20)])


class JobFilterForm(ListForm):
    q = StringField(_l("Search"), filters=[trimmed], validators=[Length(max=100)])
    location = StringField(_l("Location (or \"remote\")"), filters=[trimmed], validators=[Length(max=100)])
    kind = ChoiceField(_l("Kind"), default="", choices=[SelectChoice("", _l("Any kind")), *choices(JobKind)])
    course = StringField(_l("Asks for course"), filters=[trimmed], validators=[Length(max=100)])


class CandidateFilterForm(ListForm):
    course = StringField(_l("Completed course"), filters=[trimmed], validators=[Length(max=100)])
    category = ChoiceField(_l("Category"), default="")

    def set_choices(self, categories) -> None:
        self.category.choices = [SelectChoice("", _l("Any category"))] + [
            SelectChoice(c.slug, c.name) for c in categories]


class ContactForm(FlaskForm):
    message = TextAreaField(_l("Your message"), filters=[trimmed], validators=[
        DataRequired(), Length(min=20, max=MESSAGE_MAX_LENGTH)])


class ContactAnswerForm(FlaskForm):
    answer = SelectField(_l("Answer"), choices=[SelectChoice("accept", _l("Accept")),
                                                SelectChoice("decline", _l("Decline"))])


class VerificationForm(FlaskForm):
    registration_number = StringField(_l("Business registration number"), filters=[trimmed],
                                      validators=[DataRequired(), Length(max=40)])
    details = TextAreaField(_l("How we can check your company"), filters=[trimmed],
                            validators=[DataRequired(), Length(min=20, max=2000)])
