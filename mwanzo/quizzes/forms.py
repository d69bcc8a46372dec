from __future__ import annotations

import uuid
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, FieldList, Form, FormField, IntegerField, SelectField,
                     StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from mwanzo.labels import choices
from mwanzo.quizzes.models import AnswersShown, QuestionKind
from mwanzo.quizzes.services import AnswerDraft, QuestionDraft, QuizSettings, question_rule_errors
from mwanzo.courses import revisions

ANSWER_ROWS = 6


class QuizSettingsForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    instructions = TextAreaField(_l("Instructions (optional)"), validators=[Optional(), Length(max=5000)])
    section_id = SelectField(_l("Show in section"), default="", validate_choice=False)  # checked in settings()
    passing_score = IntegerField(_l("Passing score (%)"), default=70,
                                 validators=[InputRequired(), NumberRange(min=0, max=100)])
    max_attempts = IntegerField(_l("Attempts allowed (empty: unlimited)"),
                                validators=[Optional(), NumberRange(min=1, max=100)])
    time_limit_minutes = IntegerField(_l("Time limit in minutes (empty: none)"),
                                      validators=[Optional(), NumberRange(min=1, max=600)])
    shuffle = BooleanField(_l("Shuffle questions and answers for each learner"))
    is_required = BooleanField(_l("Required to complete the course"), default=True)
    answers_shown = SelectField(_l("Show correct answers on the result page"),
                                default=AnswersShown.AFTER_LAST_ATTEMPT.value, choices=[
                                    SelectChoice(AnswersShown.AFTER_LAST_ATTEMPT.value,
                                                 _l("After the last attempt or a pass")),
                                    SelectChoice(AnswersShown.IMMEDIATELY.value, _l("Straight after each attempt")),
                                    SelectChoice(AnswersShown.NEVER.value, _l("Never")),
                                ])
    bank_draw = IntegerField(_l("Draw this many questions at random from the course's question bank for each "
                                "attempt (empty: ask this quiz's own questions)"),
                             validators=[Optional(), NumberRange(min=1, max=200)])

    def __init__(self, sections, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.section_id.choices = [SelectChoice("", _l("After the last section"))] + [
            SelectChoice(str(section.id), section.title) for section in sections
        ]

    @classmethod
    def from_quiz(cls, sections, quiz, changes: dict):
        """Filled from the quiz, its title and instructions from the draft under review when there is one."""
        form = cls(sections, obj=quiz)
        if not form.is_submitted():
            drafted = revisions.drafted(changes)
            form.title.data, form.instructions.data = drafted(quiz, "title"), drafted(quiz, "instructions")
            form.section_id.data = str(quiz.section_id) if quiz.section_id else ""
            form.time_limit_minutes.data = quiz.time_limit_seconds // 60 if quiz.time_limit_seconds else None
            form.answers_shown.data = quiz.answers_shown.value
        return form

    def settings(self, section_ids) -> QuizSettings:
        section = str(self.section_id.data or "") or None
        return QuizSettings(
            title=self.title.data.strip(), instructions=self.instructions.data or None,
            section_id=uuid.UUID(section) if section and section in section_ids else None,
            passing_score=self.passing_score.data, max_attempts=self.max_attempts.data,
            time_limit_seconds=self.time_limit_minutes.data * 60 if self.time_limit_minutes.data else None,
            shuffle=self.shuffle.data, is_required=self.is_required.data,
            answers_shown=AnswersShown(self.answers_shown.data), bank_draw=self.bank_draw.data,
        )


class AllowanceForm(FlaskForm):
    email = StringField(_l("Learner's email address"), validators=[DataRequired(), Length(max=255)])
    extra_attempts = IntegerField(_l("Extra attempts"), default=0, validators=[Optional(), NumberRange(min=0, max=20)])
    extra_minutes = IntegerField(_l("Extra minutes on each attempt"), default=0,
                                 validators=[Optional(), NumberRange(min=0, max=600)])


class AnswerRowForm(Form):
    text = StringField(_l("Answer"), validators=[Optional(), Length(max=1000)])
    is_correct = BooleanField(_l("Correct"))
    match_text = StringField(_l("Its partner (matching only)"), validators=[Optional(), Length(max=1000)])


class QuestionForm(FlaskForm):
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=5000)])
    kind = SelectField(_l("Kind"), default=QuestionKind.SINGLE.value,
                       choices=choices(QuestionKind))
    points = IntegerField(_l("Points"), default=1, validators=[InputRequired(), NumberRange(min=1, max=100)])
    explanation = TextAreaField(_l("Feedback shown after submitting (optional)"),
                                validators=[Optional(), Length(max=5000)])
    answers = FieldList(FormField(AnswerRowForm), min_entries=ANSWER_ROWS, max_entries=ANSWER_ROWS)
    numeric_answer = DecimalField(_l("The right number (for the Number type)"), places=None,
                                  validators=[Optional(), NumberRange(min=-10**11, max=10**11)])
    numeric_tolerance = DecimalField(_l("Tolerance: answers this far either side count as right"), places=None,
                                     validators=[Optional(), NumberRange(min=0, max=10**11)])

    @classmethod
    def for_new(cls, fresh: bool = False):
        """The add-question form: the request's data, or (fresh, or on GET) an empty one. Its fields are
        prefixed "new-" so they never share an id with a question being edited on the same page."""
        form = cls(formdata=None, prefix="new") if fresh else cls(prefix="new")
        if fresh or not form.is_submitted():
            # Ready for the common true/false case; single choice ignores the empty rows.
            form.answers[0].form.text.data, form.answers[1].form.text.data = str(_l("True")), str(_l("False"))
        return form

    @classmethod
    def from_question(cls, question, changes: dict):
        """Filled from the question, or from the draft under review when there is one."""
        drafted = revisions.drafted(changes)
        form = cls()
        if not form.is_submitted():
            form.text.data, form.kind.data = drafted(question, "text"), QuestionKind(drafted(question, "kind")).value
            form.points.data, form.explanation.data = drafted(question, "points"), drafted(question, "explanation")
            form.numeric_answer.data = _decimal(drafted(question, "numeric_answer"))
            form.numeric_tolerance.data = _decimal(drafted(question, "numeric_tolerance"))
            for row, answer in zip(form.answers, revisions.drafted_answers(changes, question)):
                row.form.text.data, row.form.is_correct.data = answer["text"], answer["is_correct"]
                row.form.match_text.data = answer.get("match_text")
        return form

    def filled_answers(self) -> list[AnswerDraft]:
        return [AnswerDraft(text=row.form.text.data.strip(), is_correct=bool(row.form.is_correct.data),
                            match_text=(row.form.match_text.data or "").strip() or None)
                for row in self.answers if (row.form.text.data or "").strip()]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid:
            errors = question_rule_errors(self.draft())
            if errors:
                self.form_errors.extend(errors)
                valid = False
        return valid

    def draft(self) -> QuestionDraft:
        return QuestionDraft(text=self.text.data.strip(), kind=QuestionKind(self.kind.data), points=self.points.data,
                             explanation=self.explanation.data or None, answers=self.filled_answers(),
                             numeric_answer=self.numeric_answer.data, numeric_tolerance=self.numeric_tolerance.data)


def _decimal(value) -> Decimal | None:
    """A stored or drafted (text) number, shown without trailing zeros."""
    return None if value is None else Decimal(format(Decimal(str(value)).normalize(), "f"))

