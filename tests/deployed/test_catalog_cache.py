"""The page cache as deployed (Redis, gunicorn workers behind nginx): an approved edit of a published course's
title shows on every catalog page on the very next request, in both languages."""
import re

import pytest
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.courses import revisions
from mwanzo.courses.models import Category, Course
from mwanzo.extensions import db
from tests import factories
from tests.deployed.conftest import CONFIRM_INPUT, CSRF_INPUT, form_post, visitor

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]

COURSE_FIELDS = ("title", "short_description", "description", "learning_objectives", "requirements", "level",
                 "language", "price")


def shows(deployment, paths: list[str], title: str) -> dict[tuple[str, str], bool]:
    """Whether each page, asked for anonymously in each language, names ``title``."""
    found = {}
    for lang in ("en", "sw"):
        with visitor(deployment) as session:
            session.cookies.set("lang", lang)
            for path in paths:
                page = session.get(f"{deployment.url}{path}", timeout=30)
                assert page.status_code == 200, (path, page.status_code)
                assert f'<html lang="{lang}">' in page.text
                found[(lang, path)] = title in page.text
    return found


def test_an_approved_title_edit_shows_in_the_catalog_through_nginx_on_the_next_request(deployment,
                                                                                        browser_session):
    with deployment.app_context():
        teacher = factories.instructor(email="akinyi@example.com")
        factories.user(role=Role.ADMIN, email="cache-admin@example.com")
        category = factories.category(name="Aquaculture", slug="aquaculture")
        course = factories.course(title="Fish farming in ponds", instructor_id=teacher.id, category_id=category.id)
        db.session.commit()
        course_id, slug = course.id, course.slug
    paths = ["/courses", "/courses?q=ponds", "/categories/aquaculture", f"/courses/{slug}"]
    for _worker in range(3):  # every gunicorn worker has had each page built or read from Redis
        assert all(shows(deployment, paths, "Fish farming in ponds").values())

    form_post(browser_session, f"{deployment.url}/login",
              {"email": "akinyi@example.com", "password": factories.PASSWORD}, allow_redirects=False)
    with deployment.app_context():
        course = db.session.get(Course, course_id)
        values = {name: getattr(course, name) for name in COURSE_FIELDS}
        fields = {name: "\n".join(value) if isinstance(value, list) else "" if value is None else str(value)
                  for name, value in values.items()}
        fields["category_id"] = str(db.session.scalar(select(Category.id).where(Category.slug == "aquaculture")))
    saved = form_post(browser_session, f"{deployment.url}/studio/courses/{course_id}/edit",
                      {**fields, "title": "Fish and prawn farming in ponds"},
                      allow_redirects=False)
    assert saved.status_code == 302, re.findall(r'class="field invalid">\s*<label for="(\w+)"', saved.text)
    assert not any(shows(deployment, paths, "Fish and prawn farming").values())  # held for review

    with visitor(deployment) as admin:
        form_post(admin, f"{deployment.url}/login",
                  {"email": "cache-admin@example.com", "password": factories.PASSWORD}, allow_redirects=False)
        with deployment.app_context():
            revision_id = revisions.latest_revision(course_id).id
        review = f"{deployment.url}/admin/reviews/revisions/{revision_id}"
        page = admin.get(review, timeout=30)
        version = re.search(r'name="version"[^>]*value="(\d+)"', page.text).group(1)
        approved = admin.post(f"{review}/approve", headers={"Referer": review}, timeout=30, allow_redirects=False,
                              data={"csrf_token": CSRF_INPUT.search(page.text).group(1), "version": version,
                                    "confirm_token": CONFIRM_INPUT.search(page.text).group(1)})
        assert approved.status_code in (302, 303), approved.text[:500]

    with deployment.app_context():
        slug = db.session.get(Course, course_id).slug  # a new title, a new address
    paths[-1] = f"/courses/{slug}"
    assert shows(deployment, paths, "Fish and prawn farming in ponds") == {
        (lang, path): True for lang in ("en", "sw") for path in paths}
