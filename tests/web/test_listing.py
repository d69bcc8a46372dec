"""The one list helper and pager, as the catalog, the job board, the candidate pool and the admin's user and
payment lists use it: bad filter values are named (422) and left out, a page past the end links back, the
pager is a real link that htmx turns into a swap of the results, and a page costs the same queries as the first."""
from __future__ import annotations

import pytest

from mwanzo.auth.models import Role
from mwanzo.careers.models import JobKind
from tests.queries import count_queries


@pytest.fixture
def admin(make, login):
    return login(make.user(role=Role.ADMIN, email="root@example.com"))


@pytest.mark.parametrize("path, args, message", [
    ("/jobs", "kind=BOSS&q=clerk", "Kind: “BOSS” is not one of the choices."),
    ("/employer/candidates", "course=no-such", "Completed course: “no-such” is not one of the choices."),
    ("/admin/users", "role=KING", "Role: “KING” is not one of the choices."),
    ("/admin/users", "status=asleep", "Status: “asleep” is not one of the choices."),
    ("/admin/payments", "date_from=yesterday", "From: Enter a date as year-month-day, e.g. 2026-03-31."),
    ("/admin/courses", "page=abc", "Page: Enter a whole number, e.g. 2."),
    ("/admin/audit", "page=0", "Page: Choose a page from 1 to 10000."),
])
def test_a_filter_that_cannot_be_understood_is_named_not_a_500_or_ignored(client, make, login, path, args,
                                                                         message):
    login(make.user(role=Role.EMPLOYER if path.startswith(("/jobs", "/employer")) else Role.ADMIN))
    response = client.get(f"{path}?{args}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'role="alert"' in html


def test_the_other_filters_still_apply_when_one_is_refused(client, make):
    employer = make.user(role=Role.EMPLOYER)
    make.job(employer, title="Data clerk")
    make.job(employer, title="Shop assistant")
    response = client.get("/jobs?q=clerk&kind=BOSS")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Data clerk" in html and "Shop assistant" not in html


def test_a_page_past_the_end_answers_with_a_link_to_the_last_page(client, make):
    employer = make.user(role=Role.EMPLOYER)
    for n in range(21):
        make.job(employer, title=f"Contract {n:02d}", kind=JobKind.CONTRACT)
    response = client.get("/jobs?kind=CONTRACT&page=9")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "There is no page 9." in html
    assert 'href="/jobs?kind=CONTRACT&amp;page=2"' in html


def test_the_pager_is_a_link_without_javascript_and_an_htmx_swap_with_it(client, make, admin):
    for n in range(51):
        make.user(email=f"user{n:02d}@example.com", role=Role.STUDENT)
    page = client.get("/admin/users?role=STUDENT")
    html = page.get_data(as_text=True)
    assert '<a href="/admin/users?role=STUDENT&amp;page=2" rel="next"' in html
    assert 'hx-get="/admin/users?role=STUDENT&amp;page=2" hx-target="#user-results"' in html
    assert 'hx-push-url="true"' in html
    fragment = client.get("/admin/users?role=STUDENT&page=2", headers={"HX-Request": "true"})
    swapped = fragment.get_data(as_text=True)
    assert "<h1>" not in swapped and "user00@example.com" in swapped and "HX-Request" in fragment.headers["Vary"]


@pytest.mark.parametrize("path", ["/jobs", "/employer/candidates", "/admin/users", "/admin/payments"])
def test_a_later_page_costs_the_same_queries_as_the_first(client, make, login, path):
    employer = make.user(role=Role.EMPLOYER)
    for n in range(45):
        make.job(employer, title=f"Job {n:02d}")
        make.user(email=f"learner{n:02d}@example.com", show_to_employers=True)
    login(make.user(role=Role.EMPLOYER if path.startswith(("/jobs", "/employer")) else Role.ADMIN))
    counts = []
    for page in (1, 2):
        with count_queries() as statements:
            assert client.get(path, query_string={"page": page}).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
