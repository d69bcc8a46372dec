import re
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from mwanzo.auth.models import Role
from mwanzo.courses.models import CourseStatus
from mwanzo import cache
from mwanzo.learning.models import EnrollmentStatus


@pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.PENDING_REVIEW, CourseStatus.REJECTED])
def test_unpublished_course_is_visible_only_to_its_instructor_and_admins(client, make, login, status):
    owner = make.user(role=Role.INSTRUCTOR)
    course = make.course(title="Hidden work", instructor_id=owner.id, status=status, published_at=None)
    url = f"/courses/{course.slug}"
    assert client.get(url).status_code == 404
    login(make.user())
    assert client.get(url).status_code == 404
    login(make.user(role=Role.INSTRUCTOR))
    assert client.get(url).status_code == 404
    for viewer in (owner, make.user(role=Role.ADMIN)):
        login(viewer)
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and "Hidden work" in html
        assert "not published" in html and '<meta name="robots" content="noindex">' in html


def test_course_page_shows_everything_a_buyer_needs(client, make):
    teacher = make.user(name="Wanjiru Kamau", bio="Teaches spreadsheets to duka owners.")
    course = make.course(
        title="Excel for Small Business", short_description="Spreadsheets for your shop.",
        description="## Why\n\nKeep **stock** right.<script>alert(1)</script> [x](javascript:alert(1))",
        learning_objectives=["Track stock", "Price goods"], requirements=["A laptop"],
        price=Decimal("1500"), original_price=Decimal("2500"), instructor_id=teacher.id,
        duration_minutes=95, lecture_count=2, enrollment_count=42,
    )
    intro = make.section(course, title="Introduction", display_order=0)
    preview = make.lesson(intro, title="Welcome", is_preview=True, duration_seconds=125)
    make.lesson(intro, title="Formulas", duration_seconds=600)
    make.lesson(intro, title="Unpublished draft lesson", is_published=False)
    make.review(course, rating=4)
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    for text in ("Excel for Small Business", "Spreadsheets for your shop.", "<strong>stock</strong>", "Track stock",
                 "A laptop", "Wanjiru Kamau", "Teaches spreadsheets", "1 h 35 min", "2 lessons", "42 learners",
                 "KES 1,500 <s>KES 2,500</s>", "★ 4.0", "Introduction", "Formulas", "2:05"):
        assert text in html, text
    assert "<script>alert" not in html and "&lt;script&gt;" in html and 'href="javascript:' not in html
    assert "Unpublished draft lesson" not in html
    assert f'href="/learn/{course.slug}/lessons/{preview.id}">Welcome</a> <span class="badge ok">Free preview' in html
    assert "Formulas</a>" not in html


def test_call_to_action_matches_the_visitor(client, make, login):
    free = make.course(title="Free one")
    paid = make.course(title="Paid one", price=Decimal("2000"))
    assert f'href="/login?next=/courses/{free.slug}">Log in to enrol' in client.get(f"/courses/{free.slug}").get_data(as_text=True)
    learner = login(make.user())
    free_html = client.get(f"/courses/{free.slug}").get_data(as_text=True)
    assert f'action="/courses/{free.slug}/enroll"' in free_html and "Enrol for free" in free_html
    assert 'name="csrf_token"' in free_html
    assert f'href="/courses/{paid.slug}/checkout">Buy for KES 2,000' in client.get(f"/courses/{paid.slug}").get_data(as_text=True)
    make.enrollment(learner, paid)
    html = client.get(f"/courses/{paid.slug}").get_data(as_text=True)
    assert f'href="/learn/{paid.slug}">Continue learning' in html and "Buy for" not in html
    make.enrollment(learner, free, status=EnrollmentStatus.REVOKED)
    assert "Enrol for free" in client.get(f"/courses/{free.slug}").get_data(as_text=True)


def test_course_page_has_unique_title_description_opengraph_and_canonical(client, make):
    from mwanzo.courses.images import WIDTHS

    course = make.course(title="Drip Irrigation", short_description="Water crops with less.",
                         thumbnail_renditions={"version": "abcdef012345", "widths": list(WIDTHS)})
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert re.search(r"<title>Drip Irrigation · [^<]+</title>", html)
    assert '<meta name="description" content="Water crops with less.">' in html
    assert f'<link rel="canonical" href="http://localhost/courses/{course.slug}">' in html
    assert '<meta property="og:title" content="Drip Irrigation">' in html
    assert f'<meta property="og:url" content="http://localhost/courses/{course.slug}">' in html
    assert f'<meta property="og:image" content="http://localhost/thumbs/{course.id}/abcdef012345/640.jpg">' in html
    assert client.get("/courses").get_data(as_text=True).count("<title>") == 1
    assert "<title>All courses" not in client.get("/").get_data(as_text=True)


def test_course_page_query_count_does_not_grow_with_sections_lessons_and_reviews(client, make, login, count_queries):
    def build(sections: int, lessons: int, reviews: int):
        course = make.course()
        for s in range(sections):
            section = make.section(course)
            for _ in range(lessons):
                make.lesson(section)
        for _ in range(reviews):
            make.review(course, rating=3)
        return course

    small, large = build(1, 1, 1), build(8, 6, 25)
    viewer = login(make.user())
    make.enrollment(viewer, small)
    make.enrollment(viewer, large)
    counts, warm = [], []
    for course in (small, large):
        cache.clear()  # built from the database, not served from the cache
        with count_queries() as queries:
            assert client.get(f"/courses/{course.slug}").status_code == 200
        counts.append(len(queries))
        with count_queries() as queries:  # again: the shared parts come from the cache
            assert client.get(f"/courses/{course.slug}").status_code == 200
        warm.append(len(queries))
    assert counts[0] == counts[1] <= 10, counts  # 10: the sections' release conditions are one of them
    assert warm[0] == warm[1] <= 3, warm  # the visitor's own: who they are, unread notices, enrolment and review


def test_sitemap_lists_published_courses_and_categories(client, make):
    live = make.course(title="Live")
    draft = make.course(title="Draft", status=CourseStatus.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    tree = ElementTree.fromstring(response.get_data())
    locs = [el.text for el in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert f"http://localhost/courses/{live.slug}" in locs and f"http://localhost/courses/{draft.slug}" not in locs
    assert "http://localhost/courses" in locs and any("/categories/" in loc for loc in locs)


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert "Sitemap: http://localhost/sitemap.xml" in response.get_data(as_text=True)
    assert "Disallow: /learn/" in response.get_data(as_text=True)
