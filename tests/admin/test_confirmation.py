"""Admin changes to accounts, certificates and course reviews happen only through their confirmation page:
a POST without the token that page shows (what injected markup on another page would send) is refused."""
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Category, Course, CourseStatus
from mwanzo.certificates.models import Certificate
from mwanzo.extensions import db
from tests.confirmations import confirmation_token, post_confirmed

REFUSED = "This change needs confirming"


def assert_refused(response, text=REFUSED):
    assert response.status_code == 400 and text in response.get_data(as_text=True)


@pytest.fixture
def admin(make, login):
    return login(make.user(role=Role.ADMIN, name="Amina Admin"))


def test_a_role_change_without_the_confirmation_token_is_refused(client, make, admin, csrf_enabled):
    user = make.user()
    page = client.get(f"/admin/users/{user.id}")
    csrf = page.get_data(as_text=True).split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    # What an injected hx-post sends: the CSRF header htmx copies from <body>, but no confirmation token.
    assert_refused(client.post(f"/admin/users/{user.id}/role", data={"role": "ADMIN"},
                               headers={"X-CSRFToken": csrf, "HX-Request": "true"}))
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.STUDENT
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_a_token_confirms_only_the_change_its_page_showed(client, make, admin):
    user, other = make.user(), make.user()
    token = confirmation_token(client, f"/admin/users/{user.id}/role", role="INSTRUCTOR")
    assert_refused(client.post(f"/admin/users/{user.id}/role", data={"role": "ADMIN", "confirm_token": token}))
    assert_refused(client.post(f"/admin/users/{other.id}/role", data={"role": "INSTRUCTOR", "confirm_token": token}))
    assert_refused(client.post(f"/admin/users/{user.id}/lock", data={"action": "lock", "confirm_token": token}))
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.STUDENT and db.session.get(User, other.id).role == Role.STUDENT

    confirmed = client.post(f"/admin/users/{user.id}/role", data={"role": "INSTRUCTOR", "confirm_token": token})
    assert confirmed.status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).role == Role.INSTRUCTOR


def test_a_token_is_bound_to_the_admin_who_opened_the_page(client, make, admin, login):
    user = make.user()
    token = confirmation_token(client, f"/admin/users/{user.id}/active", action="deactivate")
    login(make.user(role=Role.ADMIN))
    assert_refused(client.post(f"/admin/users/{user.id}/active", data={"action": "deactivate", "confirm_token": token}))
    db.session.expire_all()
    assert db.session.get(User, user.id).is_active


def test_an_expired_token_is_refused_with_its_own_message(app, client, make, admin):
    user = make.user()

    class ElevenMinutesAgo(TimestampSigner):
        def get_timestamp(self):
            return int(time.time()) - 11 * 60

    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="mwanzo-admin-confirm", signer=ElevenMinutesAgo)
    token = serializer.dumps({"admin": str(admin.id), "action": "switch:lock", "target": str(user.id)})
    response = client.post(f"/admin/users/{user.id}/lock", data={"action": "lock", "confirm_token": token})
    assert_refused(response, "This confirmation has expired")
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_locked


# What Chromium sends: a script's fetch(), htmx (a fetch of its own plus HX-Request, even from a navigation the
# service worker passes on), a frame, the browser's own navigation and the same passed on by the service worker.
SCRIPT_FETCH = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
FORWARDED_NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "empty"}


@pytest.mark.parametrize("headers", [
    {"HX-Request": "true"}, {"Sec-Fetch-Dest": "empty"}, SCRIPT_FETCH, {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"},
    {"HX-Request": "true", **FORWARDED_NAVIGATION}, {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"},
], ids=["htmx", "fetch", "cors-fetch", "no-cors-fetch", "htmx-navigate", "frame"])
def test_the_confirmation_page_is_not_served_to_htmx_or_scripts(client, make, admin, headers):
    user = make.user()
    response = client.get(f"/admin/users/{user.id}/role", query_string={"role": "ADMIN"}, headers=headers)
    assert response.status_code == 400 and "confirm_token" not in response.get_data(as_text=True)
    opened = client.get(f"/admin/users/{user.id}/role", query_string={"role": "ADMIN"},
                        headers={"Sec-Fetch-Dest": "document"})
    assert opened.status_code == 200 and 'name="confirm_token"' in opened.get_data(as_text=True)


def test_the_confirmation_page_opens_through_the_offline_service_worker(client, make, admin):
    user = make.user()
    opened = client.get(f"/admin/users/{user.id}/role", query_string={"role": "ADMIN"}, headers=FORWARDED_NAVIGATION)
    assert opened.status_code == 200 and 'name="confirm_token"' in opened.get_data(as_text=True)


def test_lock_and_deactivate_need_their_confirmation(client, make, admin):
    user = make.user()
    assert_refused(client.post(f"/admin/users/{user.id}/lock", data={"action": "lock"}))
    assert_refused(client.post(f"/admin/users/{user.id}/active", data={"action": "deactivate"}))
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_locked and db.session.get(User, user.id).is_active
    assert post_confirmed(client, f"/admin/users/{user.id}/lock", action="lock").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).is_locked


def test_certificate_revocation_needs_its_confirmation(client, make, admin):
    certificate = make.certificate(make.user())
    url = f"/certificates/{certificate.verification_code}/revoke"
    assert_refused(client.post(url, data={"reason": "Exam taken by someone else"}))
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is None
    assert post_confirmed(client, url, reason="Exam taken by someone else").status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revoked_at is not None


@pytest.mark.parametrize(("decision", "data", "outcome"), [("approve", {}, CourseStatus.PUBLISHED),
                                                           ("reject", {"reason": "Audio too quiet."},
                                                            CourseStatus.REJECTED)])
def test_course_decisions_need_their_confirmation(client, make, admin, decision, data, outcome):
    course = make.course(status=CourseStatus.PENDING_REVIEW)
    url = f"/admin/reviews/{course.id}/{decision}"
    assert_refused(client.post(url, data=data))
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == CourseStatus.PENDING_REVIEW
    assert post_confirmed(client, url, **data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == outcome


def test_deleting_a_category_needs_its_confirmation(client, make, admin):
    category_id = make.category(name="Tailoring").id
    url = f"/admin/categories/{category_id}/delete"
    assert_refused(client.post(url))
    db.session.expire_all()
    assert db.session.get(Category, category_id) is not None
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == 0
    # The list links to the confirmation page, a plain page whose form carries the token.
    listing = client.get("/admin/categories").get_data(as_text=True)
    assert f'href="{url}"' in listing
    assert "Delete the category Tailoring?" in client.get(url).get_data(as_text=True)
    assert post_confirmed(client, url).status_code == 303
    db.session.expire_all()
    assert db.session.get(Category, category_id) is None


def test_featuring_a_course_needs_its_confirmation(client, make, admin):
    course = make.course(title="Poultry for profit")
    url = f"/admin/courses/{course.id}/featured"
    assert_refused(client.post(url, data={"featured": "1"}))
    db.session.expire_all()
    assert not db.session.get(Course, course.id).is_featured
    # A token for removing does not feature.
    token = confirmation_token(client, url, featured="0")
    assert_refused(client.post(url, data={"featured": "1", "confirm_token": token}))
    db.session.expire_all()
    assert not db.session.get(Course, course.id).is_featured
    page = client.get(url, query_string={"featured": "1"}).get_data(as_text=True)
    assert "Feature Poultry for profit on the home page?" in page
    assert post_confirmed(client, url, featured="1", page="1").status_code == 303
    db.session.expire_all()
    assert db.session.get(Course, course.id).is_featured
