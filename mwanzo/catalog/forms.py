"""The catalog's GET search form and the review form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SearchField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from mwanzo.courses.models import Level
from mwanzo.catalog.search import SORTS, SearchCriteria
from mwanzo.labels import choices
from mwanzo.web.listing import ChoiceField, ListForm, WholeNumberField

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


class CatalogSearchForm(ListForm):
    """One GET form for search, filters, sort and page: every result page has a shareable URL.

    Values that cannot be understood (page=abc, sort=bogus) are shown as errors and left out (422).
    """

    q = SearchField(_l("Search courses"), filters=[strip], validators=[Optional(), Length(max=200)])
    category = ChoiceField(_l("Category"), default="")
    level = ChoiceField(_l("Level"), default="", choices=[SelectChoice("", _l("Any level"))]
                        + choices(Level))
    language = ChoiceField(_l("Language"), default="")
    price = ChoiceField(_l("Price"), default="", choices=[
        SelectChoice("", _l("Free and paid")), SelectChoice("free", _l("Free")), SelectChoice("paid", _l("Paid"))])
    min_price = WholeNumberField(_l("Min KES"), validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])
    max_price = WholeNumberField(_l("Max KES"), validators=[Optional(), NumberRange(min=0, max=MAX_PRICE)])
    # "Best match" is the empty value, so the default never shows in URLs.
    sort = ChoiceField(_l("Sort by"), default="", choices=[
        SelectChoice("" if value == "relevance" else value, SORT_LABELS[value]) for value in SORTS])

    def set_facets(self, categories, languages) -> None:
        self.category.choices = [SelectChoice("", _l("All categories"))] + [
            SelectChoice(category.slug, category.name) for category, _count in categories]
        self.language.choices = [SelectChoice("", _l("Any language"))] + [
            SelectChoice(language, language) for language in languages]

    @staticmethod
    def search_criteria(values: dict, page: int, **fixed) -> SearchCriteria:
        """The valid filters (ListForm.criteria) as the search's criteria."""
        settings = {name: values.get(name) or "" for name in ("q", "category", "level", "language", "price")}
        settings.update(min_price=values.get("min_price"), max_price=values.get("max_price"),
                        sort=values.get("sort") or "relevance", page=page, **fixed)
        return SearchCriteria(**settings)


class ReviewForm(FlaskForm):
    rating = RadioField(_l("Your rating"), coerce=int, validators=[InputRequired()],
                        choices=[SelectChoice(str(n), "★" * n) for n in range(5, 0, -1)])
    text = TextAreaField(_l("Your review (optional)"), filters=[strip], validators=[Optional(), Length(max=2000)])
