"""Reading the public catalog."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from mwanzo.catalog.models import Category, Course, CourseStatus
from mwanzo.extensions import db


def published_courses():
    return (
        select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .options(joinedload(Course.instructor), joinedload(Course.category))
    )


def home_page_data(limit: int = 8) -> dict:
    featured = db.session.scalars(
        published_courses().where(Course.is_featured.is_(True)).order_by(Course.published_at.desc()).limit(limit)
    ).all()
    newest = db.session.scalars(published_courses().order_by(Course.published_at.desc()).limit(limit)).all()
    popular = db.session.scalars(published_courses().order_by(Course.enrollment_count.desc()).limit(limit)).all()
    categories = db.session.execute(
        select(Category, func.count(Course.id))
        .outerjoin(Course, (Course.category_id == Category.id) & (Course.status == CourseStatus.PUBLISHED))
        .group_by(Category.id)
        .order_by(Category.display_order, Category.name)
    ).all()
    return {"featured": featured, "newest": newest, "popular": popular, "categories": categories}


def list_published(page: int, per_page: int = 12):
    return db.paginate(published_courses().order_by(Course.published_at.desc()), page=page, per_page=per_page,
                       error_out=False, count=True)


def published_course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(published_courses().where(Course.slug == slug))
