"""List pages: a GET form → criteria → one paginated query, and the links of the one pager.

A list view builds its ``ListForm`` from ``request.args`` and calls ``list_page(form, query)``: the form
validates, its valid fields become the criteria, ``query(criteria)`` gives the SELECT, ``paginate`` runs
it (one query for the count, one for the rows) and the result is a ``Listing`` the template gives to the
``pager`` macro (macros/pager.html). A value that cannot be understood (page=abc, an unknown status) is
not silently dropped: its field carries the message, the list shows it (``list_errors``) and answers 422,
with that filter left out. A page past the end answers 200 with a link to the last page.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import Select, func, select
from wtforms import DateField, IntegerField, MonthField, SelectField
from wtforms.validators import NumberRange, Optional, ValidationError

from mwanzo.extensions import db
from mwanzo.urls import absolute_url

MAX_PAGE = 10_000  # far past any list's end, and an offset every database can take


def page_number(args) -> int:
    """The page a form or link came from (?page=N, 1 to MAX_PAGE), to send the user back to it."""
    return min(max(args.get("page", 1, type=int) or 1, 1), MAX_PAGE)


def trimmed(value):
    """A filter for text fields: surrounding spaces are not part of a search."""
    return value.strip() if isinstance(value, str) else value


def worded(field_class: type, message) -> type:
    """``field_class`` whose "cannot read this" message is ours, translated (WTForms has no Kiswahili)."""
    class Worded(field_class):
        def process_formdata(self, valuelist):
            try:
                super().process_formdata(valuelist)
            except ValueError:
                raise ValueError(message) from None

    Worded.__name__ = field_class.__name__  # templates read field.type (the class name)
    return Worded


WholeNumberField = worded(IntegerField, _l("Enter a whole number, e.g. 2."))
DayField = worded(DateField, _l("Enter a date as year-month-day, e.g. 2026-03-31."))
MonthOfYearField = worded(MonthField, _l("Enter a month as year-month, e.g. 2026-03."))


class ChoiceField(SelectField):
    """A SelectField that names the refused value in words a user understands."""

    def pre_validate(self, form):
        if self.data not in {str(choice[0]) for choice in self.iter_choices()} | {None}:
            raise ValidationError(_l("“%(value)s” is not one of the choices.", value=str(self.data)[:40]))


class ListForm(FlaskForm):
    """Base of every list page's GET form: its filters and the page. No CSRF: a GET search changes nothing."""

    class Meta:
        csrf = False

    page = WholeNumberField(_l("Page"), default=1, validators=[
        Optional(), NumberRange(min=1, max=MAX_PAGE, message=_l("Choose a page from 1 to %(max)s.", max=MAX_PAGE))])

    def criteria(self) -> dict:
        """The filters' values; a field with an error counts as not set (its message is shown instead)."""
        return {name: (None if f.errors else f.data) for name, f in self._fields.items() if name != "page"}

    def page_number(self) -> int:
        return 1 if self.page.errors or not self.page.data else self.page.data


@dataclass
class Page:
    """One page of a list: its rows, the total and where it sits."""

    items: Sequence
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self):
        self.pages = max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return 1 < self.page <= self.pages

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def beyond_end(self) -> bool:
        return self.page > self.pages


def paginate(stmt: Select, page: int, per_page: int) -> Page:
    """The one way a list is cut into pages: a count of the whole SELECT, then its rows for this page."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).unique().scalars().all()
    return Page(items=items, total=total or 0, page=page, per_page=per_page)


@dataclass
class Listing:
    form: ListForm
    results: Page
    criteria: dict

    @property
    def status(self) -> int:
        return 422 if self.form.errors else 200

    def url(self, external: bool = False, **changes) -> str:
        """This list's URL with some parameters changed: the form's parameters as sent, empty ones and page 1
        left out (so the canonical URL and every pager link carry exactly the filters shown)."""
        values = {name: request.args.get(name, "") for name in self.form._fields if name != "page"}
        values["page"] = request.args.get("page", "")
        values.update(changes)
        args = {k: v for k, v in values.items() if str(v) not in ("", "None") and not (k == "page" and str(v) == "1")}
        values = {**(request.view_args or {}), **args}
        return absolute_url(request.endpoint, **values) if external else url_for(request.endpoint, **values)


def list_page(form: ListForm, query: Callable[[dict], Select] | None = None, per_page: int = 20,
              results: Callable[[dict, int], Page] | None = None) -> Listing:
    """Validate the GET form, then run ``query(criteria)`` through ``paginate`` (or ``results(criteria, page)``
    for a list that pages itself, such as the catalog's ranked search)."""
    form.validate()
    criteria = form.criteria()
    page = form.page_number()
    found = results(criteria, page) if results else paginate(query(criteria), page, per_page)
    return Listing(form=form, results=found, criteria=criteria)
