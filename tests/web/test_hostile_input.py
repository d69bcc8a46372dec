"""Every URL the app serves, fed hostile input by every kind of caller, answers without a server error.

Path variables get NUL, huge numbers, 1e309, ../, very long and non-Latin text; query strings, forms and
JSON bodies carry the same in every field name the app reads, plus JSON nested 1000 deep. Each request
is sent anonymously and as a signed-in user of every role, plain and as HTMX.
"""
from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import uuid
from pathlib import Path

import pytest
from flask import got_request_exception
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter, UUIDConverter

import mwanzo
from mwanzo.auth.models import Role, User
from mwanzo.courses.models import LessonKind
from mwanzo.extensions import db, limiter
from mwanzo.payments.models import PaymentEvent
from tests.world import one_of_everything

HOSTILE_TEXT = ["a\x00b", "9" * 30, "1e309", "../../etc/passwd", "ñ漢字🙂\u202e'\"<>&%" * 300]
# NUL is refused at the door; the others reach the views, each in every field in turn.
HOSTILE_MIX = ["9" * 30, "1e309", "ñ漢字🙂\u202e" * 200]
DEEP_JSON = "[" * 1000 + "]" * 1000


def field_names() -> list[str]:
    """Every form field and every request argument the app reads."""
    names = {"page", "q", "position", "email", "password", "name", "code", "next", "status", "action"}
    root = Path(mwanzo.__file__).parent
    for info in pkgutil.walk_packages([str(root)], "mwanzo."):
        if info.name.endswith(".forms"):
            for _, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
                if issubclass(cls, FlaskForm):
                    names.update(name for name in dir(cls) if hasattr(getattr(cls, name), "_formfield"))
    for source in root.rglob("*.py"):
        names.update(re.findall(r"""(?:args|form|payload)\.get(?:list)?\(\s*["']([a-z_]+)["']""", source.read_text()))
    return sorted(names)


@pytest.fixture
def world():
    """One of everything, so that real ids lead the hostile input past the 404s into the views."""
    return one_of_everything()


def rules(app):
    # Deleting things last keeps the real ids alive for the other endpoints.
    return sorted(app.url_map.iter_rules(), key=lambda rule: ("delete" in rule.endpoint, rule.rule))


def urls_for(app, rule, values) -> list[tuple[str, bool]]:
    """(url, is_the_real_one): the rule filled with real values, then each variable made hostile in turn."""
    adapter = app.url_map.bind("localhost")
    real = {name: values.get(name, "x") for name in rule.arguments}
    urls = [(adapter.build(rule.endpoint, real), True)]
    for name, converter in rule._converters.items():
        if isinstance(converter, UUIDConverter):
            # Routing refuses anything but a UUID, whatever it is: one hostile value shows that.
            placeholder = uuid.UUID(int=0)
            url = adapter.build(rule.endpoint, {**real, name: placeholder}).replace(str(placeholder), "a%00b", 1)
            urls.append((url, False))
            continue
        for hostile in HOSTILE_TEXT:
            if isinstance(converter, IntegerConverter) and not hostile.isdigit():
                continue
            urls.append((adapter.build(rule.endpoint, {**real, name: hostile}), False))
    return urls


def mixed(fields: list[str], shift: int) -> dict:
    return {name: HOSTILE_MIX[(n + shift) % len(HOSTILE_MIX)] for n, name in enumerate(fields)}


def requests_for(rule, url: str, real: bool, fields: list[str]):
    """(method, url, keyword arguments) to send for one URL of a rule."""
    methods = rule.methods - {"HEAD", "OPTIONS"}
    if "GET" in methods:
        yield "GET", url, {}
        if real:
            for shift in range(len(HOSTILE_MIX)):
                yield "GET", url, {"query_string": mixed(fields, shift)}
            yield "GET", url, {"query_string": {"page": "9" * 30, "q": "a\x00"}, "headers": {"HX-Request": "true"}}
    if "POST" in methods:
        yield "POST", url, {}
        if real:
            for shift in range(len(HOSTILE_MIX)):
                yield "POST", url, {"data": mixed(fields, shift)}
            yield "POST", url, {"data": mixed(fields, 0), "headers": {"HX-Request": "true"}}
            yield "POST", url, {"data": {name: "a\x00b" for name in fields}, "headers": {"HX-Request": "true"}}
            yield "POST", url, {"data": json.dumps({name: "a\x00b" for name in fields}),
                                "content_type": "application/json"}
            yield "POST", url, {"data": "{" + ", ".join(f'"{name}": 1e309' for name in fields) + "}",
                                "content_type": "application/json"}
            yield "POST", url, {"data": DEEP_JSON, "content_type": "application/json"}


def sign_in(client, user) -> None:
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


@pytest.fixture
def production_errors(app, settings):
    """Errors become 500 pages as in production (not exceptions in the test); each one's cause is kept."""
    causes = []

    def keep(sender, exception, **extra):
        causes.append(repr(exception)[:200])

    settings(PAYMENT_CALLBACK_TOKEN="token", PROPAGATE_EXCEPTIONS=False)
    got_request_exception.connect(keep, app)
    yield causes
    got_request_exception.disconnect(keep, app)


def refuses(client, app, rule, values) -> bool:
    """True when the signed-in caller is turned away from this rule (403, or sent to sign in or verify)."""
    [(url, _), *_] = urls_for(app, rule, values)
    method = "GET" if "GET" in rule.methods else "POST"
    limiter.reset()
    response = client.open(url, method=method)
    location = response.headers.get("Location", "")
    return response.status_code in (401, 403) or (
        response.status_code in (302, 303) and ("/login" in location or "/verify-email" in location))


@pytest.mark.parametrize("role", [None, Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER, Role.ADMIN],
                         ids=["anonymous", "student", "instructor", "employer", "admin"])
def test_no_hostile_request_causes_a_server_error(app, client, world, production_errors, role):
    values, users = world
    fields = field_names()
    failures = []
    sign_in(client, users[role])
    for rule in rules(app):
        if role is not None and not rule.endpoint.startswith("auth.") and refuses(client, app, rule, values):
            continue  # its guard turns this caller away before any input is read; the roles it admits walk it
        for url, real in urls_for(app, rule, values):
            for method, target, kwargs in requests_for(rule, url, real, fields):
                limiter.reset()  # a 429 would hide what the view does with the input
                response = client.open(target, method=method, **kwargs)
                if rule.endpoint.startswith("auth."):
                    sign_in(client, users[role])  # logging out, in or as someone new changed the session
                if response.status_code >= 500:
                    cause = production_errors[-1] if production_errors else ""
                    failures.append((response.status_code, method, target[:100], sorted(kwargs), cause))
    assert not failures, "\n".join(map(str, failures))


@pytest.mark.parametrize("path", ["/jobs?q=a%00b", "/courses?q=%00", "/verify?code=AB%00CD", "/courses/a%00b",
                                  "/certificates/MW%00X"])
def test_nul_in_a_query_or_path_is_a_clear_400(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "control characters (such as NUL)" in response.get_data(as_text=True)


def test_nul_in_a_form_field_is_a_clear_400_and_nothing_is_stored(client, make):
    response = client.post("/register", data={"name": "Wanjiru\x00", "email": "w@example.com", "password": "x" * 12,
                                              "role": "STUDENT"}, headers={"HX-Request": "true"})
    assert response.status_code == 400 and "control characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_page_numbers_beyond_any_list_are_named_not_a_server_error(client, make, login):
    login(make.user(role=Role.EMPLOYER))
    for path in ("/jobs", "/employer/candidates"):
        response = client.get(path, query_string={"page": "9" * 30})
        assert response.status_code == 422 and "Choose a page from 1 to 10000." in response.get_data(as_text=True)


def test_deeply_nested_json_to_the_webhook_is_refused(app, client, settings):
    settings(PAYMENT_CALLBACK_TOKEN="token")
    responses = [client.post("/api/v1/payments/callback/token", data=DEEP_JSON, content_type=content_type)
                 for content_type in ("application/json", "text/plain")]
    for response in responses:
        assert response.status_code == 400 and "nested too deeply" in response.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(PaymentEvent)) == 0


def test_s3_upload_endpoints_do_not_exist_on_local_storage(client, make, login):
    instructor = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(instructor)), kind=LessonKind.VIDEO, body_markdown=None)
    for step in ("start", "complete"):
        response = client.post(f"/studio/lessons/{lesson.id}/video/{step}", json={"filename": "a.mp4", "size": 10})
        assert response.status_code == 404


@pytest.mark.parametrize("args", [{"exp": "9" * 12, "sig": "ñ漢字"}, {"exp": "²", "sig": "x"}])
def test_a_forged_media_signature_in_any_script_is_refused(client, args):
    assert client.get("/media/lessons/x/source.mp4", query_string=args).status_code == 403
