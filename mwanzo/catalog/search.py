"""Searching, filtering, sorting and paging published courses: one query for the rows, one for the count.

PostgreSQL: ``courses.search_vector`` (weighted tsvector kept by triggers, migration 0003) matched with
``websearch_to_tsquery`` and ranked with ``ts_rank``; when nothing matches, a typo-tolerant second try
with pg_trgm ``word_similarity`` on titles. SQLite (local development and quick tests): every word must
appear (LIKE, case-insensitive) in the title, descriptions, category or instructor name; rows are ranked
by where the words were found, title first. Honest, not linguistic: no stemming, no typo tolerance.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, case, func, literal, or_, select
from sqlalchemy.orm import contains_eager

from mwanzo.auth.models import User
from mwanzo.courses.models import Category, Course, CourseStatus
from mwanzo.extensions import db
from mwanzo.web.listing import Page

SEARCH_CONFIG = "english"  # the text search configuration the triggers in migration 0003 use
TYPO_THRESHOLD = 0.3  # pg_trgm word_similarity needed for a fallback match
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
    rank, similar_only = None, False
    joined = bool(criteria.category)
    if criteria.q:
        if db.session.get_bind().dialect.name == "postgresql":
            tsquery = func.websearch_to_tsquery(SEARCH_CONFIG, criteria.q)
            match, rank = Course.search_vector.op("@@")(tsquery), func.ts_rank(Course.search_vector, tsquery)
            total = _count(conditions + [match], joined)
            if total == 0:
                # Titles with a word close to the query: `title %> q` uses the trigram index, with the
                # threshold set for this transaction only.
                threshold = func.set_config("pg_trgm.word_similarity_threshold", str(TYPO_THRESHOLD), True)
                db.session.execute(select(threshold))
                match, rank = Course.title.op("%>")(criteria.q), func.word_similarity(criteria.q, Course.title)
                similar_only = True
                total = _count(conditions + [match], joined)
        else:
            match, rank = _like_match(criteria.q)
            joined = True
            total = _count(conditions + [match], joined)
        conditions.append(match)
    else:
        total = _count(conditions, joined)
    items = []
    if total > (criteria.page - 1) * PER_PAGE:
        items = _page_rows(conditions, joined, search_order(criteria.sort, rank), criteria.page)
    return ResultPage(items=items, total=total, page=criteria.page, per_page=PER_PAGE, similar_only=similar_only)


def _page_rows(conditions: list, joined: bool, order: tuple, page: int) -> list[Course]:
    """Pick the page's ids from narrow rows first, then load those twelve courses whole (in one query)."""
    position = func.row_number().over(order_by=order).label("position")
    picked = select(Course.id, position).where(Course.status == CourseStatus.PUBLISHED, *conditions)
    if joined:
        picked = picked.join(Course.category).join(Course.instructor)
    picked = picked.order_by(*order).limit(PER_PAGE).offset((page - 1) * PER_PAGE).subquery()
    stmt = published_course_rows().join(picked, picked.c.id == Course.id).order_by(picked.c.position)
    return list(db.session.scalars(stmt))


def facets() -> tuple[list[tuple[Category, int]], list[str]]:
    """Categories with their published course counts, and the languages published courses are taught in."""
    # Counted from the narrow (status, category_id) index, then joined to the few categories.
    counts = (select(Course.category_id, func.count().label("n")).where(Course.status == CourseStatus.PUBLISHED)
              .group_by(Course.category_id).subquery())
    categories = db.session.execute(
        select(Category, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.category_id == Category.id)
        .order_by(Category.display_order, Category.name)
    ).all()
    languages = db.session.scalars(
        select(Course.language).where(Course.status == CourseStatus.PUBLISHED).distinct().order_by(Course.language)
    ).all()
    return [tuple(row) for row in categories], list(languages)

