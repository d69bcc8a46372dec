from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (BooleanField, DateTimeLocalField, DecimalField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from mwanzo.courses.models import LessonKind, Level
from mwanzo.database import business_timezone
from mwanzo.images import upload_validators
from mwanzo.labels import choices
from mwanzo.media import captions, resources
from mwanzo.web.listing import ListForm, MonthOfYearField, trimmed


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=5, max=200)])
    short_description = StringField(_l("Short description"), validators=[Optional(), Length(max=300)])
    description = TextAreaField(_l("Description (Markdown)"), validators=[Optional(), Length(max=20000)])
    learning_objectives = TextAreaField(_l("What learners will be able to do (one per line)"),
                                        validators=[Optional(), Length(max=4000)])
    requirements = TextAreaField(_l("Requirements (one per line)"), validators=[Optional(), Length(max=4000)])
    category_id = SelectField(_l("Category"), validators=[InputRequired()])
    level = SelectField(_l("Level"), choices=choices(Level), default=Level.BEGINNER.value)
    language = SelectField(_l("Language"), choices=[SelectChoice("English", "English"),
                                                    SelectChoice("Kiswahili", "Kiswahili")], default="English")
    price = DecimalField(_l("Price in KES (0 = free)"), places=2, default=0,
                         validators=[InputRequired(), NumberRange(min=0, max=1_000_000, message=_l("Enter a price from 0 (free) to 1,000,000."))])
    original_price = DecimalField(_l("Original price in KES (optional, shows a discount)"), places=2,
                                  validators=[Optional(), NumberRange(min=0, max=1_000_000, message=_l("Enter a price from 0 to 1,000,000."))])
    thumbnail = FileField(_l("Thumbnail image (JPEG, PNG or WebP)"),
                          validators=upload_validators())

    def validate_original_price(self, field) -> None:
        if field.data is not None and self.price.data is not None and field.data <= self.price.data:
            raise ValidationError(_l("The original price must be higher than the price."))


class SectionForm(FlaskForm):
    title = StringField(_l("Section title"), validators=[DataRequired(), Length(max=200)])


class NewLessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    kind = RadioField(_l("Kind"), choices=choices(LessonKind), default=LessonKind.VIDEO.value)


class LessonForm(FlaskForm):
    title = StringField(_l("Lesson title"), validators=[DataRequired(), Length(max=200)])
    kind = RadioField(_l("Kind"), choices=choices(LessonKind))
    description = TextAreaField(_l("Short description"), validators=[Optional(), Length(max=2000)])
    body_markdown = TextAreaField(_l("Text (Markdown)"), validators=[Length(max=100_000)])
    duration_minutes = IntegerField(_l("Reading time in minutes (text lessons)"),
                                    validators=[Optional(), NumberRange(min=0, max=600)])
    is_preview = BooleanField(_l("Free preview: anyone may open this lesson"))
    is_published = BooleanField(_l("Published: learners see this lesson"), default=True)

    def validate_body_markdown(self, field) -> None:
        if self.kind.data == LessonKind.TEXT.value and not (field.data or "").strip():
            raise ValidationError(_l("A text lesson needs some text."))


class VideoUploadForm(FlaskForm):
    video = FileField(_l("Video file"), validators=[FileRequired(_l("Choose a video file."))])


class CaptionsForm(FlaskForm):
    language = SelectField(_l("Language"), choices=[SelectChoice(code, name) for code, name in captions.LANGUAGES.items()],
                           validators=[InputRequired()])
    file = FileField(_l("Captions file (WebVTT or SRT)"),
                     validators=[FileRequired(_l("Choose a captions file.")), *captions.upload_validators()])


class ResourceForm(FlaskForm):
    title = StringField(_l("Title learners see"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("File (PDF, slides or spreadsheet)"),
                     validators=[FileRequired(_l("Choose a file.")), *resources.upload_validators()])


class MoveForm(FlaskForm):
    direction = RadioField(choices=[SelectChoice("up", _l("Up")), SelectChoice("down", _l("Down"))],
                           validators=[InputRequired()])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a POST that confirms a delete or a submission."""


class CourseFilterForm(ListForm):
    """The course lists of the studio and of analytics: paged, searchable by title (an admin sees thousands)."""

    q = StringField(_l("Search"), filters=[trimmed], validators=[Length(max=100)])


class RosterFilterForm(ListForm):
    stuck = BooleanField(_l("Only learners stuck for 7 days"))


class StatementMonthForm(FlaskForm):
    """Which month the earnings statements end with (?until=2025-12 for last year's); none: this month."""

    class Meta:
        csrf = False  # a GET choice of what to read changes nothing

    until = MonthOfYearField(_l("Statements up to"), validators=[Optional()])


class CourseImportForm(FlaskForm):
    archive = FileField(_l("Course archive (.zip exported from Mwanzo)"),
                        validators=[FileRequired(_l("Choose the archive to import.")),
                                    FileAllowed(["zip"], _l("Choose a .zip archive exported from Mwanzo."))])


class SectionReleaseForm(FlaskForm):
    """A section's release conditions; the choices (earlier sections, the course's quizzes) are set per section."""

    after_section = SelectField(_l("Open after finishing the section"), validators=[Optional()])
    quiz = SelectField(_l("Open after passing the quiz"), validators=[Optional()])
    days_after_enrolment = IntegerField(
        _l("Open this many days after the learner enrols (drip)"),
        validators=[Optional(), NumberRange(min=0, max=3650, message=_l("Enter a number of days from 0 to 3650."))])
    opens_at = DateTimeLocalField(
        _l("Open on this date and time, Kenya time (optional)"), validators=[Optional()], tz=business_timezone,
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
        invalid_value_message=_l("Enter a date and time, e.g. 2026-03-31 08:00."))
