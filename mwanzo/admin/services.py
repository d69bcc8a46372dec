"""Administrative changes — users, categories, featured courses — each recorded in the audit log."""
from __future__ import annotations


from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from mwanzo import cache
from mwanzo.audit import AuditLog, record
from mwanzo.auth.models import Role, User, new_security_stamp
from mwanzo.courses.models import Category, Course, CourseStatus
from mwanzo.extensions import db
from mwanzo.slugs import slugify

PER_PAGE = 50


class AdminError(Exception):
    """Base of the admin console's refusals."""


class CannotChangeSelf(AdminError):
    """An admin may not demote, lock or deactivate their own account (no locking everyone out)."""


class CategoryInUse(AdminError):
    """Courses still belong to this category."""


class SlugTaken(AdminError):
    """Another category already uses this slug."""


def audit_search(target_type: str | None = None, target_id: str | None = None):
    """Audit entries, newest first, optionally about one target."""
    stmt = select(AuditLog).options(joinedload(AuditLog.actor)).order_by(AuditLog.created_at.desc())
    if target_type:
        stmt = stmt.where(AuditLog.target_type == target_type)
    if target_id:
        stmt = stmt.where(AuditLog.target_id == target_id)
    return stmt


# ---------------------------------------------------------------- users

def user_search(criteria: dict):
    """Users by name or email (q), role and status (active, locked, inactive or unverified), newest first."""
    stmt = select(User)
    if q := criteria.get("q"):
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(User.name).like(like), func.lower(User.email).like(like)))
    if role := criteria.get("role"):
        stmt = stmt.where(User.role == Role(role))
    status = criteria.get("status")
    if status == "active":
        stmt = stmt.where(User.is_active.is_(True), User.is_locked.is_(False))
    elif status == "locked":
        stmt = stmt.where(User.is_locked.is_(True))
    elif status == "inactive":
        stmt = stmt.where(User.is_active.is_(False))
    elif status == "unverified":
        stmt = stmt.where(User.is_email_verified.is_(False))
    return stmt.order_by(User.created_at.desc(), User.id)


def refuse_self(actor: User, user: User) -> None:
    if actor.id == user.id:
        raise CannotChangeSelf()


def change_role(actor: User, user: User, role: Role) -> bool:
    refuse_self(actor, user)
    if user.role == role:
        return False
    record(actor, "user.role_changed", user, old=user.role.value, new=role.value)
    user.role = role
    return True


def _switch(actor: User, user: User, attribute: str, value: bool, action: str) -> bool:
    """Set one of the user's on/off flags and record it; False when it already had that value."""
    refuse_self(actor, user)
    if getattr(user, attribute) == value:
        return False
    setattr(user, attribute, value)
    record(actor, action, user)
    return True


def set_locked(actor: User, user: User, locked: bool) -> bool:
    """Lock (signs the user out everywhere) or unlock (also clears the failed-login count)."""
    changed = _switch(actor, user, "is_locked", locked, "user.locked" if locked else "user.unlocked")
    if changed and locked:
        user.security_stamp = new_security_stamp()
    elif changed:
        user.failed_login_attempts = 0
    return changed


def set_active(actor: User, user: User, active: bool) -> bool:
    """Deactivate (signs the user out everywhere, login refused) or reactivate."""
    changed = _switch(actor, user, "is_active", active, "user.reactivated" if active else "user.deactivated")
    if changed and not active:
        user.security_stamp = new_security_stamp()
    return changed


# ---------------------------------------------------------------- categories and featured courses

def categories_with_counts() -> list[tuple[Category, int]]:
    return list(db.session.execute(
        select(Category, func.count(Course.id)).outerjoin(Course, Course.category_id == Category.id)
        .group_by(Category.id).order_by(Category.display_order, Category.name)
    ).all())


def save_category(actor: User, category: Category | None, name: str, slug: str | None, description: str | None,
                  display_order: int) -> Category:
    slug = slugify(slug or name, max_length=100, fallback="category")
    clash = db.session.scalar(select(Category.id).where(
        or_(Category.slug == slug, Category.name == name), Category.id != (category.id if category else None)))
    if clash:
        raise SlugTaken()
    created = category is None
    if created:
        category = Category(name=name, slug=slug)
        db.session.add(category)
    changes = {k: v for k, v in {"name": name, "slug": slug, "description": description,
                                 "display_order": display_order}.items() if getattr(category, k) != v or created}
    for key, value in changes.items():
        setattr(category, key, value)
    db.session.flush()
    cache.bump_labels()
    record(actor, "category.created" if created else "category.updated", category, **changes)
    return category


def delete_category(actor: User, category: Category) -> None:
    if db.session.scalar(select(func.count(Course.id)).where(Course.category_id == category.id)):
        raise CategoryInUse()
    record(actor, "category.deleted", category, name=category.name)
    db.session.delete(category)
    cache.bump_labels()


def published_course_search(criteria: dict):
    """Published courses, featured first, optionally whose title contains q."""
    stmt = (select(Course).where(Course.status == CourseStatus.PUBLISHED)
            .options(joinedload(Course.instructor), joinedload(Course.category))
            .order_by(Course.is_featured.desc(), Course.title))
    if q := criteria.get("q"):
        stmt = stmt.where(func.lower(Course.title).like(f"%{q.lower()}%"))
    return stmt


def set_featured(actor: User, course: Course, featured: bool) -> bool:
    if course.is_featured == featured:
        return False
    course.is_featured = featured
    cache.bump_course(course.id)
    record(actor, "course.featured" if featured else "course.unfeatured", course, title=course.title)
    return True
