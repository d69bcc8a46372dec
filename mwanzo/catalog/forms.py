"""The catalog's GET search form and the review form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SearchField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from mwanzo.courses.models import Level
from mwanzo.catalog.search import SORTS, SearchCriteria
from mwanzo.labels import choices

MAX_PRICE = 1_000_000

SORT_LABELS = {
    "relevance": _l("Best match"), "popular": _l("Most popular"), "newest": _l("Newest"),
    "rating": _l("Highest rated"), "price_asc": _l("Price: low to high"), "price_desc": _l("Price: high to low"),
}


def strip(value):
    """Trim, and drop control characters (a NUL byte is not text; PostgreSQL refuses it)."""
    if not isinstance(value, str):
        return value
    return "".join(ch for ch in value if ch >= " " or ch in "\n\t").strip()


class CatalogSearchForm(FlaskForm):
    """One GET form for search, filters, sort and page: every result page has a shareable URL.

    Values that cannot be understood (page=abc, sort=bogus) fail validation and the view answers 400.
    """

    class Meta:
        csrf = False

    q = SearchField(_l("Search courses"), filters=[strip], validators=[Optional(), Length(max=200)])
    category = SelectField(_l("Category"), default="")
    level = SelectField(_l("Level"), default="", choices=[SelectChoice("", _l("Any level"))]
                        + choices(Level))
    language = SelectField(_l("Language"), default="")
    price = SelectField(_l("Price"), default="", choices=[
        SelectChoice("", _l("Free and paid")), SelectChoice("free", _l("Free")), SelectChoice("paid", _l("Paid"))])
    min_price = IntegerField(_l("Min KES"), validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])
    max_price = IntegerField(_l("Max KES"), validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])
    # "Best match" is the empty value, so the default never shows in URLs.
    sort = SelectField(_l("Sort by"), default="", choices=[
        SelectChoice("" if value == "relevance" else value, SORT_LABELS[value]) for value in SORTS])
    page = IntegerField(_l("Page"), default=1, validators=[Optional(), NumberRange(min=1, max=100_000)])

    def set_facets(self, categories, languages) -> None:
        self.category.choices = [SelectChoice("", _l("All categories"))] + [
            SelectChoice(category.slug, category.name) for category, _count in categories]
        self.language.choices = [SelectChoice("", _l("Any language"))] + [
            SelectChoice(language, language) for language in languages]

    def criteria(self, **fixed) -> SearchCriteria:
        values = {name: self[name].data for name in SearchCriteria.__dataclass_fields__}
        values["q"] = values["q"] or ""
        values["page"] = values["page"] or 1
        values["sort"] = values["sort"] or "relevance"
        values.update(fixed)
        return SearchCriteria(**values)


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Your rating"), coerce=int, validators=[InputRequired()],
                        choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)])
    text = TextAreaField(_l("Your review (optional)"), filters=[strip], validators=[Optional(), Length(max=2000)])
