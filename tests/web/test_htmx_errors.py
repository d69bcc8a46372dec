"""One error contract: an htmx request gets a short fragment for the page's alert region (with the real status
and Vary: HX-Request); a boosted request and a plain browser request get the full error page."""
import uuid

import pytest

from mwanzo.learning.models import EnrollmentStatus

FRAGMENT = {"HX-Request": "true"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def bad_language(client, make, login):
    return client.post, "/language", {"lang": "xx"}


def anonymous_progress(client, make, login):
    return client.post, f"/learn/some-course/lessons/{uuid.uuid4()}/progress", {"position": "3"}


def learner_in_the_studio(client, make, login):
    login(make.user())
    return client.post, f"/studio/courses/{uuid.uuid4()}/sections", {"title": "Basics"}


def missing_page(client, make, login):
    return client.get, "/no-such-page", None


def wrong_method(client, make, login):
    return client.get, "/logout", None


def quiz_without_questions(client, make, login, **learner):
    learner, course = make.user(**learner), make.course()
    make.enrollment(learner, course, EnrollmentStatus.ACTIVE)
    quiz = make.quiz(course)
    login(learner)
    return client.post, f"/quizzes/{quiz.id}/start", {}


def huge_login(client, make, login):
    from flask import current_app
    return client.post, "/login", {"email": "x" * (current_app.config["MAX_CONTENT_LENGTH"] + 10)}


def blank_section_title(client, make, login):
    owner = make.instructor()
    course = make.draft_course(owner)
    section = make.section(course, title="Basics")
    login(owner)
    return client.post, f"/studio/sections/{section.id}/rename", {"title": "   "}


def too_many_lookups(client, make, login):
    from flask import current_app
    current_app.config["VERIFY_RATE_LIMIT"] = "1 per minute"
    address = f"10.13.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    client.get("/verify", query_string={"code": "MWZ-2222-3333"}, environ_base={"REMOTE_ADDR": address})

    def lookup(url, data=None, headers=None):
        return client.get(url, query_string={"code": "MWZ-2222-3333"}, headers=headers,
                          environ_base={"REMOTE_ADDR": address})
    return lookup, "/verify", None


CASES = {
    400: (bad_language, "Something in that request was not right."),
    401: (anonymous_progress, "You are not logged in any more."),
    403: (learner_in_the_studio, "You do not have permission to"),
    404: (missing_page, "We could not find"),
    405: (wrong_method, "That action is not available here."),
    409: (quiz_without_questions, "This quiz has no questions yet."),
    413: (huge_login, "That upload is larger than we accept."),
    422: (blank_section_title, "A section needs a title of up to 200 characters."),
    429: (too_many_lookups, "Too many attempts."),
}


@pytest.fixture
def restore_limits(app, monkeypatch):
    """The 429 case lowers the lookup limit; monkeypatch puts the configured one back after the test."""
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", app.config["VERIFY_RATE_LIMIT"])


def ask(case, client, make, login, headers):
    send, url, data = case(client, make, login)
    return send(url, data=data, headers=headers)


def assert_fragment(response, status, message):
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in body
    assert "<html" not in body and "<main" not in body and "<form" not in body
    assert len(response.get_data()) < 400, body
    assert response.headers["HX-Retarget"] == "#flash-errors" and response.headers["HX-Reswap"] == "innerHTML"
    assert response.headers["HX-Push-Url"] == "false"
    assert "HX-Request" in response.headers["Vary"]


def test_inside_a_page_the_fragment_speaks_of_what_was_asked_not_of_a_page(client, make, login):
    assert client.get("/no-such-page", headers=FRAGMENT).text.strip() == (
        "<p>We could not find what you asked for. It may have been moved or deleted.</p>")
    assert ask(learner_in_the_studio, client, make, login, FRAGMENT).text.strip() == (
        "<p>You do not have permission to do that.</p>")


def assert_full_page(response, status, message):
    body = response.get_data(as_text=True)
    assert response.status_code == status
    assert body.startswith("<!doctype html>") and message in body
    assert 'id="flash-errors"' in body and "<h1>" in body
    assert "HX-Retarget" not in response.headers
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("status", CASES)
def test_an_htmx_request_gets_the_error_fragment(client, make, login, restore_limits, status):
    case, message = CASES[status]
    assert_fragment(ask(case, client, make, login, FRAGMENT), status, message)


@pytest.mark.parametrize("status", CASES)
def test_a_boosted_request_gets_the_full_error_page(client, make, login, restore_limits, status):
    case, message = CASES[status]
    assert_full_page(ask(case, client, make, login, BOOSTED), status, message)


@pytest.mark.parametrize("status", [s for s in CASES if s != 401])
def test_a_browser_gets_the_full_error_page(client, make, login, restore_limits, status):
    case, message = CASES[status]
    assert_full_page(ask(case, client, make, login, None), status, message)


def test_a_405_keeps_its_allow_header(client):
    assert client.get("/logout", headers=FRAGMENT).headers["Allow"] == client.get("/logout").headers["Allow"]


def test_a_server_error_answers_htmx_with_the_fragment_and_rolls_back(app):
    from mwanzo import create_app

    other = create_app({**app.config, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})

    @other.post("/_boom")
    def boom():
        raise RuntimeError("boom")

    client = other.test_client()
    assert_fragment(client.post("/_boom", headers=FRAGMENT), 500, "An error on our side stopped this page.")
    assert_full_page(client.post("/_boom", headers=BOOSTED), 500, "An error on our side stopped this page.")
    assert_full_page(client.post("/_boom"), 500, "An error on our side stopped this page.")


def test_the_fragment_is_in_the_learners_language(client, make, login):
    send, url, data = quiz_without_questions(client, make, login, locale="sw")
    assert_fragment(send(url, data=data, headers=FRAGMENT), 409, "Jaribio hili bado halina maswali.")


def test_an_invalid_form_still_re_renders_itself_with_field_errors(client, make, login):
    owner = make.instructor()
    course = make.draft_course(owner)
    login(owner)
    response = client.post(f"/studio/courses/{course.id}/sections", data={"title": ""}, headers=FRAGMENT)
    assert response.status_code == 422
    assert "HX-Retarget" not in response.headers
    assert response.text.lstrip().startswith('<section id="curriculum"') and 'class="error"' in response.text


def test_an_ended_session_answers_htmx_with_the_401_fragment_not_the_login_page(client, make, login):
    quiz = make.quiz(make.course())
    headers = {**FRAGMENT, "HX-Current-URL": f"http://localhost/quizzes/{quiz.id}"}
    response = client.post(f"/quizzes/{quiz.id}/start", headers=headers)  # nobody signed in any more
    assert_fragment(response, 401, "You are not logged in any more.")
    assert f'href="/login?next=/quizzes/{quiz.id}"' in response.text
    browser = client.post(f"/quizzes/{quiz.id}/start")
    assert browser.status_code == 302 and browser.location.startswith("/login?next=")


def test_every_page_carries_the_alert_region_and_its_messages_in_the_page_language(client):
    english = client.get("/login").text
    assert '<div id="flash-errors" class="alert-region" role="alert" aria-live="assertive"' in english
    assert 'data-offline="No connection. Check your data or Wi-Fi and try again."' in english
    client.set_cookie("lang", "sw")
    swahili = client.get("/login").text
    assert 'data-offline="Hakuna mtandao. Angalia data au Wi-Fi yako kisha ujaribu tena."' in swahili
    assert 'data-failed="Hilo halikufanikiwa. Tafadhali jaribu tena baada ya muda mfupi."' in swahili


def test_an_expired_form_token_answers_htmx_with_the_fragment(client, make, login, csrf_enabled):
    owner = make.instructor()
    section = make.section(make.draft_course(owner), title="Basics")
    login(owner)
    response = client.post(f"/studio/sections/{section.id}/rename", data={"title": "Intro"},
                           headers={**FRAGMENT, "X-CSRFToken": "an-old-token"})
    assert_fragment(response, 400, "Your form expired or was sent from another site.")
