"""List pages and forms do not grow with the catalog or the user base: no filter or form lists every course or
every user (a phone on a slow line pays for each byte). Measured gzipped, at N and 2N rows."""
from __future__ import annotations

import gzip
import uuid

import pytest
import sqlalchemy as sa

from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Course
from mwanzo.database import utcnow
from mwanzo.extensions import db

COURSES, USERS = 1_000, 100


def add_courses(count: int, start: int, category_id, instructor_id) -> None:
    now = utcnow()
    db.session.execute(sa.insert(Course), [{
        "id": uuid.uuid4(), "title": f"Practical skills course number {n}", "slug": f"growth-course-{n}",
        "short_description": "Short", "description": "Long", "category_id": category_id,
        "instructor_id": instructor_id, "price": 0, "level": "BEGINNER", "status": "PUBLISHED",
        "published_at": now, "created_at": now, "updated_at": now} for n in range(start, start + count)])


def add_users(count: int, start: int) -> None:
    now = utcnow()
    db.session.execute(sa.insert(User), [{
        "id": uuid.uuid4(), "name": f"Learner {n}", "email": f"growth{n}@example.com", "password_hash": "x",
        "role": "STUDENT", "security_stamp": uuid.uuid4().hex, "show_to_employers": True,
        "created_at": now, "updated_at": now} for n in range(start, start + count)])


def gzipped(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    return len(gzip.compress(response.data))


@pytest.mark.parametrize("role, paths", [
    (Role.EMPLOYER, ["/jobs", "/employer/candidates", "/employer/jobs/new"]),
    (Role.ADMIN, ["/admin/users", "/admin/payments", "/admin/courses", "/studio/", "/instructor/analytics/"]),
])
def test_pages_weigh_the_same_with_twice_the_courses_and_users(client, make, login, role, paths):
    instructor = make.user(role=Role.INSTRUCTOR)
    category = make.category()
    login(make.user(role=role, email=f"{role.value.lower()}@example.com"))
    make.job(make.user(role=Role.EMPLOYER), title="Data clerk")
    add_courses(COURSES, 0, category.id, instructor.id)
    add_users(USERS, 0)
    db.session.commit()
    before = {path: gzipped(client, path) for path in paths}
    add_courses(COURSES, COURSES, category.id, instructor.id)
    add_users(USERS, USERS)
    db.session.commit()
    after = {path: gzipped(client, path) for path in paths}
    for path in paths:
        assert abs(after[path] - before[path]) < 300, (path, before[path], after[path])
        assert after[path] < 14 * 1024, (path, after[path])
