"""User text is printed as text, and sits under hx-disable, so that markup in it can never drive htmx."""
from html.parser import HTMLParser

import pytest

from mwanzo.auth.models import Role

PAYLOAD = "<div hx-post=\"/admin/users/1/role\" hx-vals='{\"role\":\"ADMIN\"}' hx-trigger=\"load\">go</div>"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class TextPlaces(HTMLParser):
    """For each text node holding `marker`: is it under an hx-disable element? And did the markup become elements?"""

    def __init__(self, marker: str):
        super().__init__()
        self.marker, self.stack, self.places, self.live = marker, [], [], []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if names.get("hx-trigger") == "load":  # no element of the app's own fires on load
            self.live.append(tag)
        if tag not in VOID:
            self.stack.append((tag, "hx-disable" in names))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        # <title> and <option> hold only text: markup escaped into them can never become elements.
        if self.marker in data and not (self.stack and self.stack[-1][0] in ("title", "option")):
            self.places.append(any(disabled for _, disabled in self.stack))


def text_places(html: str, marker: str = 'hx-trigger="load"') -> TextPlaces:
    parser = TextPlaces(marker)
    parser.feed(html)
    return parser


def assert_inert(response):
    assert response.status_code == 200
    places = text_places(response.get_data(as_text=True))
    assert places.live == [], "user markup became elements"
    assert places.places and all(places.places), (response.request.path, places.places)


def test_the_quiz_title_in_an_analytics_heading_is_escaped(client, make, login):
    course = make.course()
    make.quiz(course, title=PAYLOAD)
    login(make.user(role=Role.ADMIN))
    html = client.get(f"/instructor/analytics/{course.id}").get_data(as_text=True)
    assert "Scores in &lt;div hx-post=" in html and "Scores in <div" not in html


@pytest.fixture
def stored_markup(make):
    """Every field a user types, set to markup that would promote an account if htmx obeyed it."""
    instructor = make.instructor(name=PAYLOAD[:120])
    course = make.course(instructor_id=instructor.id, title=PAYLOAD, short_description=PAYLOAD)
    make.quiz(course, title=PAYLOAD)
    make.review(course, rating=2, text=PAYLOAD)
    employer = make.user(role=Role.EMPLOYER)
    job = make.job(employer, title=PAYLOAD)
    return {"instructor": instructor, "course": course, "job": job, "employer": employer}


def test_user_text_on_admin_and_analytics_pages_is_inert(client, make, login, stored_markup):
    course, instructor = stored_markup["course"], stored_markup["instructor"]
    login(make.user(role=Role.ADMIN))
    for url in (f"/instructor/analytics/{course.id}", "/admin/users", f"/admin/users/{instructor.id}",
                "/admin/courses", f"/admin/users/{instructor.id}/role?role=ADMIN"):
        assert_inert(client.get(url))


def test_user_text_on_pages_that_use_htmx_is_inert(client, make, login, stored_markup):
    course, job = stored_markup["course"], stored_markup["job"]
    for url in (f"/courses/{course.slug}", f"/courses/{course.slug}/reviews", "/courses", "/jobs",
                f"/jobs/{job.id}"):
        assert_inert(client.get(url))
    assert_inert(client.get("/courses", headers={"HX-Request": "true"}))  # the fragment htmx swaps in
    login(stored_markup["instructor"])
    assert_inert(client.get(f"/studio/courses/{course.id}"))


def test_a_course_title_in_a_flash_is_inert_also_on_a_page_that_uses_htmx(client, make, login):
    from tests.confirmations import post_confirmed

    course = make.course(title=PAYLOAD)
    login(make.user(role=Role.ADMIN))
    taken_down = post_confirmed(client, f"/admin/courses/{course.id}/take-down", reason="Unsafe wiring diagrams")
    assert taken_down.status_code == 303
    catalog = client.get("/courses")  # lifts hx-disable from <main>; the flash shows here
    assert "is no longer in the catalog" in catalog.get_data(as_text=True)
    assert_inert(catalog)
