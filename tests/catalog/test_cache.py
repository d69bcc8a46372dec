"""The shared page cache: a change shows on the very next request, and no visitor's own state travels to
another through it. Runs on the real Redis when REDIS_URL is set, else on the in-process cache."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext, ngettext

from mwanzo.admin import services as admin_services
from mwanzo.auth.models import Role
from mwanzo.catalog import services as catalog_services
from mwanzo.courses.models import Category, CourseStatus
from mwanzo.extensions import db
from mwanzo.inbox import services as inbox
from mwanzo.inbox.models import NotificationKind
from mwanzo.courses import revisions
from mwanzo.studio import services as studio
from mwanzo.web.filters import format_kes

HTMX = {"HX-Request": "true"}


def page(client, path: str, lang: str, fragment: bool = False) -> str:
    """The page (or its htmx fragment) in ``lang``; asked for before a change too, so the cache is warm."""
    client.set_cookie("lang", lang)
    response = client.get(path, headers=HTMX if fragment else {})
    assert response.status_code == 200, (path, response.status_code)
    html = response.get_data(as_text=True)
    if not fragment:
        assert f'<html lang="{lang}">' in html
    return html


def details(course, **changes) -> studio.CourseDetails:
    values = {name: getattr(course, name) for name in studio.COURSE_FIELDS}
    return studio.CourseDetails(**{**values, **changes})


@pytest.fixture
def admin(make):
    return make.user(role=Role.ADMIN)


@pytest.fixture(params=[("en", False), ("sw", False), ("en", True), ("sw", True)],
                ids=["english-page", "kiswahili-page", "english-htmx", "kiswahili-htmx"])
def view(request):
    """(language, htmx fragment or full page) for the catalog list."""
    return request.param


def lists(course, word: str) -> list[str]:
    """Every catalog list that shows the course's card: the catalog, a search for ``word``, its category."""
    category = db.session.get(Category, course.category_id)
    return ["/courses", f"/courses?q={word}", f"/categories/{category.slug}"]


def test_publishing_shows_the_course_on_the_next_request(client, make, admin, view):
    lang, fragment = view
    course = make.course(title="Beekeeping for beginners", status=CourseStatus.PENDING_REVIEW, published_at=None)
    for path in lists(course, "beekeeping"):
        assert "Beekeeping" not in page(client, path, lang, fragment)
    assert client.get(f"/courses/{course.slug}").status_code == 404
    studio.approve(course, admin)
    db.session.commit()
    for path in lists(course, "beekeeping"):
        assert "Beekeeping for beginners" in page(client, path, lang, fragment), path
    assert "Beekeeping for beginners" in page(client, f"/courses/{course.slug}", lang)


def test_taking_a_course_down_removes_it_on_the_next_request(client, make, admin, view):
    lang, fragment = view
    course = make.course(title="Charcoal briquettes")
    for path in lists(course, "briquettes"):
        assert "Charcoal briquettes" in page(client, path, lang, fragment), path
    assert "<h1>Charcoal briquettes</h1>" in page(client, f"/courses/{course.slug}", lang)
    studio.take_down(course, admin, "Copied material")
    db.session.commit()
    for path in lists(course, "briquettes"):
        assert "Charcoal briquettes" not in page(client, path, lang, fragment), path
    assert client.get(f"/courses/{course.slug}").status_code == 404


def test_an_approved_edit_shows_on_the_next_request(client, make, admin, view):
    lang, fragment = view
    course = make.course(title="Soap making")
    for path in lists(course, "soap"):
        assert "Soap making" in page(client, path, lang, fragment), path
    assert "<h1>Soap making</h1>" in page(client, f"/courses/{course.slug}", lang)
    studio.update_course(course, details(course, title="Soap and candle making"), admin)
    db.session.commit()
    revision = revisions.latest_revision(course.id)
    studio.approve_revision(revision.id, revision.version, admin)
    db.session.commit()
    for path in lists(course, "soap"):
        assert "Soap and candle making" in page(client, path, lang, fragment), path
    assert "<h1>Soap and candle making</h1>" in page(client, f"/courses/{course.slug}", lang)


def test_a_price_change_shows_on_the_next_request(client, make, view):
    lang, fragment = view
    owner = make.instructor()
    course = make.course(title="Tiling", price=Decimal("500"), instructor_id=owner.id)
    old, new = format_kes(Decimal("500")), format_kes(Decimal("1500"))
    for path in lists(course, "tiling"):
        assert old in page(client, path, lang, fragment), path
    assert old in page(client, f"/courses/{course.slug}", lang)
    studio.update_course(course, details(course, price=Decimal("1500")), owner)
    db.session.commit()
    for path in lists(course, "tiling"):
        listed = page(client, path, lang, fragment)
        assert new in listed and old not in listed, path
    assert new in page(client, f"/courses/{course.slug}", lang)


def test_a_new_rating_shows_on_the_next_request(client, make, login, view):
    lang, fragment = view
    course = make.course(title="Knitting")
    learner = make.user()
    make.enrollment(learner, course)
    with force_locale(lang):
        one_rating = ngettext("%(num)d rating", "%(num)d ratings", 1)
        no_reviews = gettext("No reviews yet.")
    for path in lists(course, "knitting"):
        assert "★ 4.0" not in page(client, path, lang, fragment), path
    assert no_reviews in page(client, f"/courses/{course.slug}", lang)
    catalog_services.save_review(learner, course, 4, "Clear and practical.")
    db.session.commit()
    for path in lists(course, "knitting"):
        assert "★ 4.0</span> (1)" in page(client, path, lang, fragment), path
    course_page = page(client, f"/courses/{course.slug}", lang)
    assert one_rating in course_page and "Clear and practical." in course_page


def test_featuring_shows_on_the_home_page_at_once(client, make, admin):
    course = make.course(title="Mushroom growing")
    for lang in ("en", "sw"):
        with force_locale(lang):
            featured = f"<h2>{gettext('Featured')}</h2>"
        assert featured not in page(client, "/", lang)
    admin_services.set_featured(admin, course, True)
    db.session.commit()
    for lang in ("en", "sw"):
        with force_locale(lang):
            featured = f"<h2>{gettext('Featured')}</h2>"
        home = page(client, "/", lang)
        assert featured in home and "Mushroom growing" in home.split(featured)[1].split("</section>")[0]


def test_a_renamed_category_shows_on_its_page_and_the_course_page(client, make, admin, view):
    lang, fragment = view
    farming = make.category(name="Farming", slug="farming")
    course = make.course(title="Dairy goats", category_id=farming.id)
    assert "Dairy goats" in page(client, "/categories/farming", lang, fragment)
    assert ">Farming</a>" in page(client, f"/courses/{course.slug}", lang)
    admin_services.save_category(admin, farming, "Agribusiness", "farming", None, 0)
    db.session.commit()
    assert "Agribusiness" in page(client, "/categories/farming", lang, fragment)
    assert ">Agribusiness</a>" in page(client, f"/courses/{course.slug}", lang)


def test_a_rolled_back_write_changes_nothing_cached(client, make):
    owner = make.instructor()
    course = make.course(title="Pottery", price=Decimal("700"), instructor_id=owner.id)
    assert format_kes(Decimal("700")) in page(client, "/courses", "en")
    studio.update_course(course, details(course, price=Decimal("900")), owner)
    db.session.rollback()
    listed = page(client, "/courses", "en")
    assert format_kes(Decimal("700")) in listed and format_kes(Decimal("900")) not in listed


# ---------------------------------------------------------------- nothing of one visitor reaches another

def csrf_token_in(html: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', html).group(1)


def session_secret(token: str) -> str:
    """The signed token's payload: the session's own secret (the signature's timestamp changes each second)."""
    return token.split(".")[0]


def test_no_visitor_sees_another_visitors_token_name_language_badge_or_enrolment(app, make, csrf_enabled):
    farming = make.category(name="Farming", slug="farming")
    course = make.course(title="Solar installation", category_id=farming.id)
    enrolled = make.user(name="Wanjiru Enrolled", email="wanjiru@example.com", locale="en")
    other = make.user(name="Otieno Notenrolled", email="otieno@example.com", locale="sw", is_email_verified=False)
    make.enrollment(enrolled, course)
    for _note in range(2):
        inbox.notify(enrolled.id, NotificationKind.ANNOUNCEMENT, f"/courses/{course.slug}", course=course.title)
    db.session.commit()
    clients = {}
    for user in (enrolled, other):
        clients[user.id] = client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
    anonymous = app.test_client()
    with force_locale("en"):
        en_courses = ngettext("%(num)d course", "%(num)d courses", 1)
        resume, log_in = gettext("Continue learning"), gettext("Log in to enrol")
        badge = ngettext("%(num)d unread", "%(num)d unread", 2)
    with force_locale("sw"):
        sw_courses = ngettext("%(num)d course", "%(num)d courses", 1)
        enrol = gettext("Enrol for free")
        banner = gettext("Please verify your email to enrol in courses.")

    # Each visitor asks for the same pages and fragments; the second round is served from what the first cached.
    asked = ((f"/courses/{course.slug}", {}), ("/courses", {}), ("/", {}), ("/courses", HTMX),
             ("/categories/farming", {}), ("/categories/farming", HTMX))
    course_page, list_page, home, fragment, category_page, category_fragment = range(len(asked))
    full_pages = (course_page, list_page, home, category_page)
    seen: dict[str, list[str]] = {"enrolled": [], "other": [], "anonymous": []}
    for _round in range(2):
        for who, client in (("enrolled", clients[enrolled.id]), ("other", clients[other.id]), ("anonymous", anonymous)):
            for path, headers in asked:
                seen[who].append(client.get(path, headers=headers).get_data(as_text=True))

    def each(pages: list[str], *kinds: int) -> list[str]:
        return [html for index, html in enumerate(pages) if index % len(asked) in kinds]

    enrolled_pages, other_pages, anonymous_pages = seen["enrolled"], seen["other"], seen["anonymous"]
    tokens = {who: {session_secret(csrf_token_in(html)) for html in pages if "X-CSRFToken" in html}
              for who, pages in seen.items()}
    assert all(len(found) == 1 for found in tokens.values()), tokens  # one session, one token, every time
    assert len(set.union(*tokens.values())) == 3  # three sessions, three different tokens
    for who, pages in seen.items():
        strangers = set.union(*(found for name, found in tokens.items() if name != who))
        assert not any(token in html for html in pages for token in strangers)

    assert all('<html lang="en">' in html for html in each(enrolled_pages, *full_pages))
    assert all('<html lang="sw">' in html for html in each(other_pages, *full_pages))
    assert all(en_courses in html and sw_courses not in html
               for html in each(enrolled_pages, fragment, category_fragment, category_page))
    assert all(sw_courses in html and en_courses not in html
               for html in each(other_pages, fragment, category_fragment, category_page))
    assert all(resume in html and enrol not in html for html in each(enrolled_pages, course_page))
    assert all(enrol in html and resume not in html for html in each(other_pages, course_page))
    assert all(log_in in html and "Log out" not in html for html in each(anonymous_pages, course_page))
    assert all(badge in html for html in each(enrolled_pages, *full_pages))
    assert all(banner in html for html in each(other_pages, *full_pages))
    for html in other_pages + anonymous_pages:
        assert "Wanjiru" not in html and "wanjiru@example.com" not in html and 'class="badge"' not in html
    for html in enrolled_pages + anonymous_pages:
        assert "Otieno" not in html and "otieno@example.com" not in html and banner not in html

    # The token on the page the cache helped build is this visitor's own: enrolling with it works.
    other.is_email_verified = True
    db.session.commit()
    other_client = clients[other.id]
    token = csrf_token_in(other_pages[course_page + len(asked)])
    response = other_client.post(f"/courses/{course.slug}/enroll", data={"csrf_token": token})
    assert response.status_code in (302, 303), response.status_code
    with force_locale("sw"):
        resume_sw = gettext("Continue learning")
    assert resume_sw in other_client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert log_in in anonymous.get(f"/courses/{course.slug}").get_data(as_text=True)


def csrf_tokens_in(html: str) -> set[str]:
    """The session secret of every CSRF token on the page: the body's htmx header and every form's field."""
    found = re.findall(r'"X-CSRFToken": "([^"]+)"', html) + re.findall(r'name="csrf_token" value="([^"]+)"', html)
    return {session_secret(token) for token in found}


def review_form_in(html: str) -> str:
    """The learner's own review form on a course page (the reviews listed below it are everyone's)."""
    start = html.index('<details hx-disable', html.index('id="reviews"'))
    return html[start:html.index("</details>", start)]


def test_each_visitors_header_call_to_action_and_review_form_are_their_own(app, make, csrf_enabled):
    """The header, menu, banner, call to action and review form are rendered once per process from plain values
    and kept: two learners of the same course, in the same language and apart, each get their own."""
    course = make.course(title="Poultry farming", price=Decimal("0"))
    reviewer = make.user(name="Amani Reviewer", locale="en")
    newcomer = make.user(name="Baraka Newcomer", locale="en")
    swahili = make.user(name="Chausiku Swahili", locale="sw")
    for learner in (reviewer, newcomer, swahili):
        make.enrollment(learner, course)
    make.review(course, rating=4, text="Clear <b>and</b> practical.", student=reviewer)
    for _note in range(2):
        inbox.notify(reviewer.id, NotificationKind.ANNOUNCEMENT, f"/courses/{course.slug}", course=course.title)
    db.session.commit()
    clients = {}
    for user in (reviewer, newcomer, swahili):
        clients[user.id] = client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
    with force_locale("en"):
        edit, rate, log_out = gettext("Edit your review"), gettext("Rate this course"), gettext("Log out")
        two_unread, three_unread = (ngettext("%(num)d unread", "%(num)d unread", n) for n in (2, 3))
        my_courses = gettext("My courses")
    with force_locale("sw"):
        rate_sw, log_out_sw = gettext("Rate this course"), gettext("Log out")

    def course_page(user) -> str:
        response = clients[user.id].get(f"/courses/{course.slug}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    seen = {user.id: [] for user in (reviewer, newcomer, swahili)}
    for _round in range(2):  # the second round is served from the parts the first one kept
        for user in (reviewer, newcomer, swahili):
            seen[user.id].append(course_page(user))
    tokens = {user_id: set.union(*(csrf_tokens_in(html) for html in pages)) for user_id, pages in seen.items()}
    assert all(len(found) == 1 for found in tokens.values()), tokens  # every form on each page: the session's own
    assert len(set.union(*tokens.values())) == 3
    for html in seen[reviewer.id]:
        form = review_form_in(html)
        assert edit in form and rate not in form and "Clear &lt;b&gt;and&lt;/b&gt; practical." in form
        assert re.findall(r"<input[^>]*checked[^>]*>", form) == [
            '<input checked id="rating-1" name="rating" required type="radio" value="4">']
        assert two_unread in html and log_out in html
    for html in seen[newcomer.id]:
        form = review_form_in(html)
        assert rate in form and edit not in form and "practical" not in form and "checked" not in form
        assert 'class="badge"' not in html and log_out in html and my_courses not in html
    for html in seen[swahili.id]:
        assert rate_sw in review_form_in(html) and "practical" not in review_form_in(html)
        assert log_out_sw in html and '<html lang="sw">' in html

    # What changes shows on the next request: a new notice, a role, the learner's own review.
    inbox.notify(reviewer.id, NotificationKind.ANNOUNCEMENT, f"/courses/{course.slug}", course=course.title)
    db.session.get(type(newcomer), newcomer.id).role = Role.INSTRUCTOR
    db.session.commit()
    assert three_unread in course_page(reviewer)
    assert my_courses in course_page(newcomer) and my_courses not in course_page(swahili)
    token = csrf_token_in(seen[newcomer.id][-1])
    response = clients[newcomer.id].post(f"/courses/{course.slug}/review",
                                         data={"csrf_token": token, "rating": "2", "text": "Too fast for me."})
    assert response.status_code == 302
    mine = review_form_in(course_page(newcomer))
    assert edit in mine and "Too fast for me." in mine and 'checked id="rating-3"' in mine
    assert all("Too fast" not in review_form_in(course_page(user)) for user in (reviewer, swahili))


@pytest.mark.parametrize("lang", ["en", "sw"])
def test_the_filters_show_each_searchs_own_choices_and_a_renamed_category_at_once(client, make, admin, lang):
    farming = make.category(name="Farming", slug="farming")
    make.course(title="Dairy goats", category_id=farming.id)
    plain = page(client, "/courses?q=goats", lang)
    newest = page(client, "/courses?q=dairy&sort=newest", lang)
    filtered = page(client, "/courses?level=BEGINNER", lang)
    assert "<details open>" not in plain and 'selected value="newest"' not in plain
    assert "<details open>" in newest and 'selected value="newest"' in newest
    assert "<details open>" in filtered and 'selected value="BEGINNER"' in filtered
    assert 'selected value="BEGINNER"' not in page(client, "/courses?q=goats", lang)
    admin_services.save_category(admin, farming, "Agribusiness", "farming", None, 0)
    db.session.commit()
    assert "Agribusiness" in page(client, "/courses?q=cattle", lang)  # its filters were cached by the searches above
    assert "Agribusiness" in page(client, "/courses?q=goats", lang)
