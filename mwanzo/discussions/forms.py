"""Asking, answering, announcing and reporting: one form class each.

Lengths keep a thread page (the question and ten answers) within the 14 KB budget even when every post is as
long as allowed (tests/discussions/test_page_budget.py)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SearchField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from mwanzo.catalog.forms import strip
from mwanzo.web.listing import ListForm


class QuestionForm(FlaskForm):
    title = StringField(_l("Your question in one line"), filters=[strip],
                        validators=[InputRequired(), Length(min=5, max=200)])
    body = TextAreaField(_l("Details (Markdown)"), filters=[strip], validators=[InputRequired(), Length(max=3000)])


class AnswerForm(FlaskForm):
    body = TextAreaField(_l("Your answer (Markdown)"), filters=[strip],
                         validators=[InputRequired(), Length(min=2, max=2000)])


class AnnouncementForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[InputRequired(), Length(min=3, max=200)])
    body = TextAreaField(_l("Message (Markdown)"), filters=[strip], validators=[InputRequired(), Length(max=2000)])


class ReportForm(FlaskForm):
    reason = StringField(_l("What is wrong with it?"), filters=[strip],
                         validators=[InputRequired(), Length(min=3, max=500)])


class QuestionSearchForm(ListForm):
    """The questions list's GET form: words to search, the lesson (from the lesson page's link) and the page."""

    q = SearchField(_l("Search questions"), filters=[strip], validators=[Optional(), Length(max=200)])
    lesson = HiddenField(filters=[strip])


class ReviewReplyForm(FlaskForm):
    reply = TextAreaField(_l("Your public reply"), filters=[strip], validators=[InputRequired(), Length(min=2, max=2000)])
