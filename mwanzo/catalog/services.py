"""The public catalog: home page, course pages, visibility, reviews and ratings."""
from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, load_only, selectinload

from mwanzo import cache
from mwanzo.auth.access import acts_for
from mwanzo.auth.models import User
from mwanzo.courses.models import Category, Course, CourseStatus, Lesson, Review, Section
from mwanzo.catalog.search import course_cards, published_course_rows, search_order
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment, EnrollmentStatus

REVIEWS_PER_PAGE = 10


class NotEnrolled(Exception):
    """Only learners enrolled in a course may rate it."""


def home_page_data(limit: int = 8) -> dict:
    rows = course_cards().limit(limit)
    newest_first = (Course.published_at.desc(), Course.id.desc())
    featured = db.session.scalars(rows.where(Course.is_featured.is_(True)).order_by(*newest_first)).all()
    newest = db.session.scalars(rows.order_by(*newest_first)).all()
    popular = db.session.scalars(rows.order_by(*search_order("popular"))).all()
    return {"featured": featured, "newest": newest, "popular": popular}


def published_course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(published_course_rows().where(Course.slug == slug))


@dataclass(frozen=True)
class CourseRef:
    """Which course a slug names, and whether everyone may see it (plain data, kept in the cache)."""

    id: uuid.UUID
    status: CourseStatus


def course_ref(slug: str) -> CourseRef | None:
    row = db.session.execute(select(Course.id, Course.status).where(Course.slug == slug)).first()
    return CourseRef(*row) if row else None


@dataclass(frozen=True)
class CourseFacts:
    """What a course page renders for each visitor around its shared parts: the title, the price and the
    call to action (plain data, kept in the cache)."""

    id: uuid.UUID
    slug: str
    title: str
    short_description: str | None
    status: CourseStatus
    price: object
    instructor_id: uuid.UUID
    category_name: str

    @property
    def is_free(self) -> bool:
        return self.price == 0

    @classmethod
    def of(cls, course: Course) -> "CourseFacts":
        return cls(course.id, course.slug, course.title, course.short_description, course.status, course.price,
                   course.instructor_id, course.category.name)


def can_see_unpublished(viewer: User | None, course: Course) -> bool:
    return acts_for(viewer, course.instructor_id)


def visible_course(slug: str, viewer: User | None) -> Course | None:
    """The course with everything its page shows, or None when the viewer may not see it.

    Drafts, courses in review and rejected courses are shown only to their instructor and to admins.
    """
    course = db.session.scalar(
        select(Course).where(Course.slug == slug).options(
            joinedload(Course.instructor).load_only(User.name, User.bio), joinedload(Course.category),
            selectinload(Course.sections).selectinload(Section.lessons.and_(Lesson.is_published.is_(True))),
        )
    )
    if course is None or (course.status != CourseStatus.PUBLISHED and not can_see_unpublished(viewer, course)):
        return None
    return course


@dataclass
class ReviewPage:
    items: list[Review]
    page: int
    has_more: bool


def review_page(course_id: uuid.UUID, page: int = 1, per_page: int = REVIEWS_PER_PAGE) -> ReviewPage:
    """Newest first; one query (one row more than shown tells whether there is a next page)."""
    rows = db.session.scalars(
        select(Review).where(Review.course_id == course_id).options(joinedload(Review.student))
        .order_by(Review.created_at.desc(), Review.id.desc()).limit(per_page + 1).offset((page - 1) * per_page)
    ).all()
    return ReviewPage(items=list(rows[:per_page]), page=page, has_more=len(rows) > per_page)


def review_by(student: User | None, course: Course | CourseFacts) -> Review | None:
    if student is None or not student.is_authenticated:
        return None
    return db.session.scalar(select(Review).where(Review.course_id == course.id, Review.student_id == student.id))


@dataclass(frozen=True)
class OwnReview:
    """The learner's own review as their form shows it (plain data: catalog/pages.py keys parts by it)."""

    rating: int
    text: str | None


@dataclass(frozen=True)
class Visitor:
    """What the course page offers this visitor: its call to action and the review form (plain data)."""

    signed_in: bool
    has_access: bool
    can_review: bool
    review: OwnReview | None
    payment_pending: bool = False


# Built once, not per request (it runs on every signed-in course page): building a statement and computing its
# cache key costs more Python than running it. Only the columns the page uses: each one read costs too.
_OWN_ENROLMENT = (
    select(Enrollment, Review.rating, Review.text)
    .outerjoin(Review, and_(Review.course_id == Enrollment.course_id, Review.student_id == Enrollment.student_id))
    .where(Enrollment.student_id == bindparam("student_id"), Enrollment.course_id == bindparam("course_id"))
    .options(load_only(Enrollment.status, raiseload=True))
)


def visitor_state(viewer: User | None, course: Course | CourseFacts) -> Visitor:
    """One query: the viewer's enrolment in this course and their review of it."""
    if viewer is None or not viewer.is_authenticated:
        return Visitor(signed_in=False, has_access=False, can_review=False, review=None)
    row = db.session.execute(_OWN_ENROLMENT, {"student_id": viewer.id, "course_id": course.id}).first()
    enrollment, rating, text = row if row else (None, None, None)
    enrolled = enrollment is not None and enrollment.grants_access
    return Visitor(signed_in=True, has_access=learning.access_given(viewer, course, enrollment),
                   can_review=enrolled, review=OwnReview(rating, text) if enrolled and rating is not None else None,
                   payment_pending=enrollment is not None and enrollment.status == EnrollmentStatus.PENDING_PAYMENT)


def save_review(student: User, course: Course, rating: int, text: str | None) -> tuple[Review, bool]:
    """Create the learner's review, or update it if they already wrote one. Returns (review, created).

    The course row is locked first, so concurrent reviews of one course run one after the other and the
    recount below always sees every committed review: average_rating and rating_count stay exact.
    """
    enrollment = learning.get_enrollment(student.id, course.id)
    if enrollment is None or not enrollment.grants_access:
        raise NotEnrolled()
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())
    review = review_by(student, course)
    created = review is None
    if created:
        review = Review(course_id=course.id, student_id=student.id, rating=rating, text=text or None)
        try:
            with db.session.begin_nested():
                db.session.add(review)
        except IntegrityError:  # the same learner, twice at once: the first one wins, this becomes an edit
            review, created = review_by(student, course), False
    if not created:
        review.rating, review.text = rating, text or None
    db.session.flush()
    recount_rating(course.id)
    return review, created


def recount_rating(course_id: uuid.UUID) -> None:
    reviews = select(Review).where(Review.course_id == course_id).subquery()
    db.session.execute(
        update(Course).where(Course.id == course_id).values(
            rating_count=select(func.count()).select_from(reviews).scalar_subquery(),
            average_rating=select(func.coalesce(func.round(func.avg(reviews.c.rating), 2), 0)).scalar_subquery(),
        ).execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    cache.bump_course(course_id)


def sitemap_entries() -> tuple[list[Category], list[tuple[str, object]]]:
    categories = db.session.scalars(select(Category).order_by(Category.display_order, Category.name)).all()
    courses = db.session.execute(
        select(Course.slug, Course.updated_at).where(Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.published_at.desc())
    ).all()
    return list(categories), [tuple(row) for row in courses]


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    reviews = db.session.execute(
        select(Review, Course.title).join(Course, Course.id == Review.course_id)
        .where(Review.student_id == user.id).order_by(Review.created_at)).all()
    return {"reviews": [{"course": title, "rating": r.rating, "text": r.text, "date": r.created_at,
                         "instructor_reply": r.reply} for r, title in reviews]}


def erase_user_data(user: User) -> None:
    """The reviews go and each course's rating is recounted without them."""
    course_ids = list(db.session.scalars(select(Review.course_id).where(Review.student_id == user.id)))
    db.session.execute(delete(Review).where(Review.student_id == user.id))
    for course_id in course_ids:
        recount_rating(course_id)
