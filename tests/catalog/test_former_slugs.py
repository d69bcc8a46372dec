"""A course's old address keeps working after a title change gives it a new slug: links shared on WhatsApp and
in emails and certificates answer a permanent redirect to the same page at the current slug, from the very
next request, while a slug another course has taken since is that course's address."""
from __future__ import annotations

import pytest

from mwanzo import cache
from mwanzo.auth.models import Role
from mwanzo.catalog.views import COURSE_SLUG_PATHS
from mwanzo.courses import revisions
from mwanzo.courses.models import CourseStatus
from mwanzo.extensions import db
from mwanzo.studio import services as studio

HTMX = {"HX-Request": "true"}


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN)


def retitle(course, title: str, admin) -> str:
    """The instructor's title change, approved by an admin as a published course's edits are; the new slug."""
    values = {name: getattr(course, name) for name in studio.COURSE_FIELDS}
    studio.update_course(course, studio.CourseDetails(**{**values, "title": title}), admin)
    db.session.commit()
    if course.status == CourseStatus.PUBLISHED:
        revision = revisions.latest_revision(course.id)
        studio.approve_revision(revision.id, revision.version, admin)
        db.session.commit()
    return course.slug


def moved_to(response) -> str:
    assert response.status_code == 301, response.status_code
    assert response.headers["Cache-Control"] == "no-cache"  # a browser asks again: the slug may be reused
    return response.location


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_the_old_address_redirects_to_the_new_one_on_the_next_request(client, make, admin, lang):
    course = make.course(title="Soap making", slug="soap-making")
    client.set_cookie("lang", lang)
    for headers in ({}, HTMX):  # both built and cached before the change
        assert "<h1>Soap making</h1>" in client.get("/courses/soap-making", headers=headers).get_data(as_text=True)
    assert client.get("/courses/soap-making/reviews?page=1", headers=HTMX).status_code == 200

    new = retitle(course, "Soap and candle making", admin)

    assert new == "soap-and-candle-making"
    for headers in ({}, HTMX):
        assert moved_to(client.get("/courses/soap-making", headers=headers)) == f"/courses/{new}"
        response = client.get(f"/courses/{new}", headers=headers)
        assert response.status_code == 200
        assert "<h1>Soap and candle making</h1>" in response.get_data(as_text=True)
    assert moved_to(client.get("/courses/soap-making/reviews?page=1", headers=HTMX)) == f"/courses/{new}/reviews?page=1"
    assert client.get(f"/courses/{new}/reviews?page=1", headers=HTMX).status_code == 200


def test_every_page_of_the_course_follows_it(client, make, admin, login):
    course = make.course(title="Bread baking", slug="bread-baking")
    section = make.section(course)
    lesson = make.lesson(section, title="Kneading", is_preview=True)
    learner = make.user()
    make.enrollment(learner, course)
    new = retitle(course, "Bread and cake baking", admin)

    login(learner)
    for old_path, new_path in [("/learn/bread-baking", f"/learn/{new}"),
                               (f"/learn/bread-baking/lessons/{lesson.id}", f"/learn/{new}/lessons/{lesson.id}"),
                               ("/learn/bread-baking/questions", f"/learn/{new}/questions"),
                               ("/courses/bread-baking/review", f"/courses/{new}/review")]:
        assert moved_to(client.get(old_path)) == new_path
        assert client.get(new_path).status_code in (200, 302), new_path  # /learn/<slug> opens the next lesson
    # A form sent to the old address (a page opened before the change) is sent on unchanged, still a POST.
    other = make.course(title="Pastry", slug="pastry")
    retitle(other, "Pastry at home", admin)
    response = client.post("/courses/pastry/enroll")
    assert response.status_code == 308 and response.location == "/courses/pastry-at-home/enroll"


def test_every_url_with_a_slug_is_a_course_address_that_redirects_or_a_category(app):
    """A new URL keyed by a course's slug under another path would not be redirected: this names it."""
    for rule in app.url_map.iter_rules():
        if "<slug>" in rule.rule:
            assert rule.rule.startswith(COURSE_SLUG_PATHS) or rule.endpoint == "catalog.category_detail", rule.rule


def test_a_slug_renamed_twice_or_back_goes_straight_to_the_current_page(client, make, admin):
    course = make.course(title="Goat keeping", slug="goat-keeping")
    retitle(course, "Dairy goat keeping", admin)
    retitle(course, "Dairy goats at home", admin)
    assert moved_to(client.get("/courses/goat-keeping")) == "/courses/dairy-goats-at-home"
    assert moved_to(client.get("/courses/dairy-goat-keeping")) == "/courses/dairy-goats-at-home"
    retitle(course, "Goat keeping", admin)
    assert client.get("/courses/goat-keeping").status_code == 200
    assert moved_to(client.get("/courses/dairy-goats-at-home")) == "/courses/goat-keeping"


def test_a_former_slug_taken_by_another_course_belongs_to_that_course(client, make, admin, login):
    first = make.course(title="Tailoring", slug="tailoring")
    retitle(first, "Tailoring for beginners", admin)
    assert moved_to(client.get("/courses/tailoring")) == "/courses/tailoring-for-beginners"

    owner = make.user(role=Role.INSTRUCTOR)
    second = make.course(title="Draft", slug="draft-tailoring", instructor_id=owner.id, status=CourseStatus.DRAFT,
                         published_at=None)
    assert retitle(second, "Tailoring", admin) == "tailoring"
    assert client.get("/courses/tailoring").status_code == 404  # the draft's address: no redirect to the first
    login(owner)
    assert "<h1>Tailoring</h1>" in client.get("/courses/tailoring").get_data(as_text=True)

    assert retitle(second, "Tailoring school uniforms", admin) == "tailoring-school-uniforms"
    assert moved_to(client.get("/courses/tailoring")) == "/courses/tailoring-school-uniforms"
    assert moved_to(client.get("/courses/draft-tailoring")) == "/courses/tailoring-school-uniforms"


def test_an_unknown_slug_is_still_not_found(client, make):
    assert client.get("/courses/no-such-course").status_code == 404
    assert client.get("/courses/no-such-course", headers=HTMX).status_code == 404


def test_the_course_page_costs_no_more_queries_for_a_renamed_course(client, make, admin, login, count_queries):
    plain = make.course(title="Beadwork", slug="beadwork")
    renamed = make.course(title="Weaving", slug="weaving")
    new = retitle(renamed, "Basket weaving", admin)
    login(make.user())
    counts = []
    for slug in ("beadwork", new):
        cache.clear()
        with count_queries() as cold:
            assert client.get(f"/courses/{slug}").status_code == 200
        with count_queries() as warm:
            assert client.get(f"/courses/{slug}").status_code == 200
        counts.append((len(cold), len(warm)))
    assert counts[0] == counts[1], counts
