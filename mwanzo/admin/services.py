"""Administrative changes — users, categories, featured courses, support fixes — each recorded in the audit log."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from mwanzo import cache
from mwanzo.audit import AuditLog, record
from mwanzo.auth import services as auth
from mwanzo.auth.models import Role, User, new_security_stamp
from mwanzo.careers import services as careers
from mwanzo.certificates import services as certificates
from mwanzo.courses.models import Category, Course, CourseStatus
from mwanzo.extensions import db
from mwanzo.learning import services as learning
from mwanzo.learning.models import Enrollment
from mwanzo.notifications import services as notifications
from mwanzo.notifications.models import OutboundEmail
from mwanzo.payments import queries as payment_queries
from mwanzo.phones import InvalidPhone, normalise_kenyan_phone
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


# ---------------------------------------------------------------- support: one user's record, fixes, search

@dataclass
class UserRecord:
    """What support reads about one account: everything it learnt, paid, earned and applied for."""
    enrollments: list
    payments: list
    certificates: list
    applications: list


def user_record(user: User) -> UserRecord:
    """A fixed number of queries, however long the history."""
    enrollments = list(db.session.scalars(
        select(Enrollment).where(Enrollment.student_id == user.id).options(joinedload(Enrollment.course))
        .order_by(Enrollment.created_at.desc())
    ))
    return UserRecord(enrollments, payment_queries.user_payments(user.id), certificates.certificates_of(user.id),
                      careers.my_applications(user.id))


def edit_user(actor: User, user: User, name: str, email: str) -> bool:
    """Correct a name or an address; a new address is verified again. Raises auth's EmailTaken."""
    old = {"name": user.name, "email": user.email}
    changed_email = auth.normalise_email(email) != user.email
    auth.change_email(user, email)  # a new address is sent its link and is unverified until it is followed
    changed_name = name != user.name
    user.name = name
    if not (changed_email or changed_name):
        return False
    record(actor, "user.edited", user, **{f"old_{k}": v for k, v in old.items()}, name=user.name, email=user.email)
    return True


def mark_verified(actor: User, user: User) -> bool:
    if user.is_email_verified:
        return False
    user.is_email_verified = True
    record(actor, "user.email_verified", user, email=user.email)
    return True


def resend_verification(actor: User, user: User) -> bool:
    if user.is_email_verified:
        return False
    auth.send_verification(user)
    record(actor, "user.verification_sent", user, email=user.email)
    return True


def grant_enrollment(actor: User, user: User, course: Course, reason: str) -> bool:
    if not learning.grant_enrollment(user, course):
        return False
    record(actor, "enrollment.granted", ("users", user.id), course=course.title, course_id=course.id, reason=reason)
    return True


def revoke_enrollment(actor: User, enrollment: Enrollment, reason: str) -> bool:
    if not learning.withdraw_enrollment(enrollment):
        return False
    record(actor, "enrollment.revoked", ("users", enrollment.student_id), course=enrollment.course.title,
           course_id=enrollment.course_id, reason=reason)
    return True


def send_email_again(actor: User, email_id) -> bool:
    email = db.session.get(OutboundEmail, email_id)
    if email is None or not notifications.send_again(email_id):
        return False
    record(actor, "email.sent_again", email, to=email.to_address, template=email.template, error=email.last_error)
    return True


@dataclass
class SearchResults:
    q: str
    users: list
    payments: list
    certificates: list

    @property
    def empty(self) -> bool:
        return not (self.users or self.payments or self.certificates)


def support_search(q: str, limit: int = 20) -> SearchResults:
    """One box: a user by email or phone, a payment by reference or M-Pesa receipt, a certificate by code."""
    q = q.strip()[:100]
    if len(q) < 3:
        return SearchResults(q, [], [], [])
    try:
        phone = normalise_kenyan_phone(q)
    except InvalidPhone:
        phone = None
    user_match = func.lower(User.email).like(f"%{q.lower()}%")
    if phone:
        user_match = or_(user_match, User.phone.in_([phone, q, "0" + phone[3:], "+" + phone]))
    users = list(db.session.scalars(select(User).where(user_match).order_by(User.email).limit(limit)))
    certificate = certificates.find_by_code(q)
    return SearchResults(q, users, payment_queries.find_payments(q, limit), [certificate] if certificate else [])
