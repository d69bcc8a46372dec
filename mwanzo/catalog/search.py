"""Searching, filtering, sorting and paging published courses: browsing takes one query for the rows and one
for the count; a text search ranks every match anyway, so one query does both.

PostgreSQL: ``courses.search_vector`` (weighted tsvector kept by triggers, migration 0003) matched with
``websearch_to_tsquery`` and ranked with ``ts_rank``; when nothing matches, a typo-tolerant second try:
each word replaced by the title words spelt most like it (pg_trgm, on the small ``course_title_words``
table), matched and ranked the same way. SQLite (local development and quick tests): every word must
appear (LIKE, case-insensitive) in the title, descriptions, category or instructor name; rows are ranked
by where the words were found, title first. Honest, not linguistic: no stemming, no typo tolerance.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce

from sqlalchemy import ARRAY, Select, String, and_, case, func, literal, or_, select, true
from sqlalchemy.orm import contains_eager, load_only

from mwanzo.auth.models import User
from mwanzo.courses.models import Category, Course, CourseStatus, TitleWord
from mwanzo.extensions import db
from mwanzo.web.listing import Page

SEARCH_CONFIG = "english"  # the text search configuration the triggers in migration 0003 use
NEAR_SPELLINGS = 3  # title words tried in place of each word of a query nothing matched (pg_trgm's 0.3 similarity)
WORD = re.compile(r"[^\W\d_]+")
PER_PAGE = 12
SORTS = ("relevance", "popular", "newest", "rating", "price_asc", "price_desc")


@dataclass(frozen=True)
class SearchCriteria:
    q: str = ""
    category: str = ""
    level: str = ""
    language: str = ""
    price: str = ""  # "", "free" or "paid"
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "relevance"
    page: int = 1

    @property
    def is_filtered(self) -> bool:
        return bool(self.q or self.category or self.level or self.language or self.price
                    or self.min_price is not None or self.max_price is not None)


@dataclass
class ResultPage(Page):
    similar_only: bool = False  # nothing matched exactly; these are near spellings


def published_course_rows() -> Select:
    """Published courses with their category and instructor, loaded by the same query."""
    return (
        select(Course)
        .join(Course.category)
        .join(Course.instructor)
        .where(Course.status == CourseStatus.PUBLISHED)
        .options(contains_eager(Course.category), contains_eager(Course.instructor))
    )


CARD_COLUMNS = (Course.slug, Course.title, Course.thumbnail_renditions, Course.price, Course.original_price,
                Course.rating_count, Course.average_rating, Course.enrollment_count, Course.category_id,
                Course.instructor_id, Course.status)


def course_cards() -> Select:
    """Published courses with only what a card shows: no description, no instructor's email or password hash."""
    return (
        select(Course)
        .join(Course.category)
        .join(Course.instructor)
        .where(Course.status == CourseStatus.PUBLISHED)
        .options(load_only(*CARD_COLUMNS), contains_eager(Course.category).load_only(Category.name, Category.slug),
                 contains_eager(Course.instructor).load_only(User.name))
    )


def filter_conditions(criteria: SearchCriteria) -> list:
    conditions = []
    if criteria.category:
        conditions.append(Category.slug == criteria.category)
    if criteria.level:
        conditions.append(Course.level == criteria.level)
    if criteria.language:
        conditions.append(Course.language == criteria.language)
    if criteria.price == "free":
        conditions.append(Course.price == 0)
    elif criteria.price == "paid":
        conditions.append(Course.price > 0)
    if criteria.min_price is not None:
        conditions.append(Course.price >= criteria.min_price)
    if criteria.max_price is not None:
        conditions.append(Course.price <= criteria.max_price)
    return conditions


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_match(q: str):
    """SQLite: (condition, rank) — every word somewhere; a word in the title counts most."""
    weighted = [(Course.title, 8), (Course.short_description, 4), (Category.name, 2), (User.name, 2),
                (Course.description, 1)]
    conditions, rank = [], literal(0)
    for word in q.lower().split()[:8]:
        pattern = f"%{_escape_like(word)}%"
        hits = [(func.lower(column).like(pattern, escape="\\"), weight) for column, weight in weighted]
        conditions.append(or_(*(hit for hit, _ in hits)))
        for hit, weight in hits:
            rank = rank + case((hit, weight), else_=0)
    return and_(*conditions), rank


def search_order(sort: str, rank=None) -> tuple:
    # Ties are broken by id in the same direction, so the browse orders can walk an index backwards.
    popular = (Course.enrollment_count.desc(), Course.published_at.desc(), Course.id.desc())
    orders = {
        "relevance": ((rank.desc(),) if rank is not None else ()) + popular,
        "popular": popular,
        "newest": (Course.published_at.desc(), Course.id.desc()),
        "rating": (Course.average_rating.desc(), Course.rating_count.desc(), Course.id.desc()),
        "price_asc": (Course.price.asc(), Course.enrollment_count.desc(), Course.id.desc()),
        "price_desc": (Course.price.desc(), Course.enrollment_count.desc(), Course.id.desc()),
    }
    return orders[sort]


def _count(conditions: list, joined: bool) -> int:
    stmt = select(func.count(Course.id)).where(Course.status == CourseStatus.PUBLISHED, *conditions)
    if joined:  # only when a condition names the category or the instructor
        stmt = stmt.join(Course.category).join(Course.instructor)
    return db.session.scalar(stmt)


def search_courses(criteria: SearchCriteria) -> ResultPage:
    conditions = filter_conditions(criteria)
    joined = bool(criteria.category)  # join only when a condition names the category or the instructor
    if not criteria.q:
        total = _count(conditions, joined)
        items = []
        if total > (criteria.page - 1) * PER_PAGE:
            items, _total = _page_rows(conditions, joined, search_order(criteria.sort), criteria.page)
        return ResultPage(items=items, total=total, page=criteria.page, per_page=PER_PAGE)
    if db.session.get_bind().dialect.name != "postgresql":
        match, rank = _like_match(criteria.q)
        items, total = _ranked_page(conditions + [match], True, criteria, rank)
        return ResultPage(items=items, total=total, page=criteria.page, per_page=PER_PAGE)
    tsquery = func.websearch_to_tsquery(SEARCH_CONFIG, criteria.q)
    items, total = _ranked_page(conditions + [Course.search_vector.op("@@")(tsquery)], joined, criteria,
                                func.ts_rank(Course.search_vector, tsquery))
    similar_only = total == 0
    if similar_only:
        corrected = corrected_query(criteria.q)
        if corrected is not None:
            items, total = _ranked_page(conditions + [Course.search_vector.op("@@")(corrected)], joined, criteria,
                                        func.ts_rank(Course.search_vector, corrected))
    return ResultPage(items=items, total=total, page=criteria.page, per_page=PER_PAGE, similar_only=similar_only)


def _ranked_page(conditions: list, joined: bool, criteria: SearchCriteria, rank) -> tuple[list[Course], int]:
    """A text search ranks every match anyway, so the same query counts them too. A page past the end has
    no row to carry the count: only then is it counted on its own."""
    items, total = _page_rows(conditions, joined, search_order(criteria.sort, rank), criteria.page, counted=True)
    if not items and criteria.page > 1:
        total = _count(conditions, joined)
    return items, total


def query_words(q: str) -> list[str]:
    """The words of a query the way course_title_words holds them (migration 0120): letters, 3 to 64."""
    return [word for word in WORD.findall(q.lower()) if 3 <= len(word) <= 64][:8]


def corrected_query(q: str):
    """PostgreSQL: the query with each word replaced by the title words spelt most like it (pg_trgm
    similarity, through the trigram index of the small vocabulary table), as a tsquery: every word, each
    one of its near spellings. Words nothing is spelt like are left out; None when that is all of them."""
    words = query_words(q)
    if not words:
        return None
    asked = func.unnest(literal(words, ARRAY(String))).table_valued("word").render_derived(name="asked")
    near = (select(TitleWord.word).where(TitleWord.word.op("%")(asked.c.word))
            .order_by(func.similarity(TitleWord.word, asked.c.word).desc(), TitleWord.word)
            .limit(NEAR_SPELLINGS).lateral("near"))
    rows = db.session.execute(select(asked.c.word, near.c.word).join(near, true())).all()
    spellings: dict[str, list[str]] = {}
    for word, spelling in rows:
        spellings.setdefault(word, []).append(spelling)
    if not spellings:
        return None
    groups = [reduce(lambda either, other: either.op("||")(other),
                     [func.plainto_tsquery(SEARCH_CONFIG, spelling) for spelling in found])
              for found in spellings.values()]
    return reduce(lambda both, other: both.op("&&")(other), groups)


def _page_rows(conditions: list, joined: bool, order: tuple, page: int,
               counted: bool = False) -> tuple[list[Course], int | None]:
    """Pick the page's ids from narrow rows first, then load those twelve courses whole (in one query);
    ``counted``: with the number of rows that match (0 when the page is empty; None when not counted)."""
    position = func.row_number().over(order_by=order).label("position")
    columns = (Course.id, position) + ((func.count().over().label("total"),) if counted else ())
    picked = select(*columns).where(Course.status == CourseStatus.PUBLISHED, *conditions)
    if joined:
        picked = picked.join(Course.category).join(Course.instructor)
    picked = picked.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE).subquery()
    stmt = course_cards().join(picked, picked.c.id == Course.id).order_by(picked.c.position)
    if not counted:
        return list(db.session.scalars(stmt)), None
    rows = db.session.execute(stmt.add_columns(picked.c.total)).all()
    return [row[0] for row in rows], (rows[0][1] if rows else 0)


@dataclass(frozen=True)
class CategoryFacet:
    """What the catalog shows of a category (plain data, kept in the cache)."""

    slug: str
    name: str
    description: str | None


def facets() -> tuple[list[tuple[CategoryFacet, int]], list[str]]:
    """Categories with their published course counts, and the languages published courses are taught in."""
    # Counted from the narrow (status, category_id) index, then joined to the few categories.
    counts = (select(Course.category_id, func.count().label("n")).where(Course.status == CourseStatus.PUBLISHED)
              .group_by(Course.category_id).subquery())
    categories = db.session.execute(
        select(Category.slug, Category.name, Category.description, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.display_order, Category.name)
    ).all()
    languages = db.session.scalars(
        select(Course.language).where(Course.status == CourseStatus.PUBLISHED).distinct().order_by(Course.language)
    ).all()
    return [(CategoryFacet(slug, name, description), n) for slug, name, description, n in categories], list(languages)

