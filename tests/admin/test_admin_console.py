"""The admin console: guarded once for admins; every change lands in the audit log."""
import pytest
from sqlalchemy import select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Category, Course
from mwanzo.extensions import db
from tests.confirmations import post_confirmed
from tests.factories import PASSWORD
from tests.queries import count_queries

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/audit", "/admin/categories", "/admin/courses", "/admin/analytics",
               "/admin/analytics/signups.csv"]


@pytest.mark.parametrize("role", [Role.STUDENT, Role.INSTRUCTOR, Role.EMPLOYER])
def test_non_admins_get_403_everywhere(client, make, login, role):
    target = make.user()
    login(make.user(role=role))
    for url in ADMIN_PAGES + [f"/admin/users/{target.id}"]:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "ADMIN"}).status_code == 403
    assert client.post("/admin/categories", data={"name": "Sneaky"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(User, target.id).role == Role.STUDENT
    assert db.session.scalar(select(AuditLog)) is None


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def test_role_lock_and_deactivate_are_audited(client, make, login):
    admin = login(make.user(role=Role.ADMIN, name="Amina Admin"))
    user = make.user(name="Brian Kiptoo")
    assert post_confirmed(client, f"/admin/users/{user.id}/role", role="INSTRUCTOR").status_code == 303
    assert post_confirmed(client, f"/admin/users/{user.id}/lock", action="lock").status_code == 303
    assert post_confirmed(client, f"/admin/users/{user.id}/lock", action="unlock").status_code == 303
    assert post_confirmed(client, f"/admin/users/{user.id}/active", action="deactivate").status_code == 303
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert (user.role, user.is_locked, user.is_active) == (Role.INSTRUCTOR, False, False)
    [role_change] = audit("user.role_changed")
    assert (role_change.actor_id, role_change.target_type, role_change.target_id) == (admin.id, "users", str(user.id))
    assert role_change.details == {"old": "STUDENT", "new": "INSTRUCTOR"}
    assert len(audit("user.locked")) == len(audit("user.unlocked")) == len(audit("user.deactivated")) == 1
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user.role_changed" in page and "Amina Admin" in page and "new: INSTRUCTOR" in page
    assert "user.deactivated" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)


def test_a_deactivated_or_locked_user_is_signed_out_and_cannot_log_in(app, client, make, login):
    user = make.user(email="locked@example.com")
    other = app.test_client()
    with other.session_transaction() as session:
        session["_user_id"] = user.get_id()
    assert other.get("/profile").status_code == 200
    login(make.user(role=Role.ADMIN))
    post_confirmed(client, f"/admin/users/{user.id}/lock", action="lock")
    assert other.get("/profile").status_code == 302
    post_confirmed(client, f"/admin/users/{user.id}/lock", action="unlock")
    post_confirmed(client, f"/admin/users/{user.id}/active", action="deactivate")
    response = app.test_client().post("/login", data={"email": "locked@example.com", "password": PASSWORD})
    assert response.status_code == 422 and "deactivated" in response.get_data(as_text=True)


def test_no_change_no_audit_entry_and_admins_cannot_change_themselves(client, make, login):
    admin = login(make.user(role=Role.ADMIN))
    user = make.user(role=Role.EMPLOYER)
    post_confirmed(client, f"/admin/users/{user.id}/role", role="EMPLOYER")
    assert db.session.scalar(select(AuditLog)) is None
    for url, data in [(f"/admin/users/{admin.id}/role", {"role": "STUDENT"}),
                      (f"/admin/users/{admin.id}/active", {"action": "deactivate"}),
                      (f"/admin/users/{admin.id}/lock", {"action": "lock"})]:
        response = client.get(url, query_string=data)
        assert response.status_code == 409 and "cannot change your own account" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin.id).role == Role.ADMIN and db.session.get(User, admin.id).is_active
    assert client.get(f"/admin/users/{user.id}/role", query_string={"role": "KING"}).status_code == 422
    assert client.post(f"/admin/users/{user.id}/role", data={"role": "KING"}).status_code == 422
    assert client.get(f"/admin/users/{user.id}/lock", query_string={"action": "maybe"}).status_code == 400
    assert client.post(f"/admin/users/{user.id}/lock", data={"action": "maybe"}).status_code == 400


def test_user_search_and_filters(client, make, login):
    login(make.user(role=Role.ADMIN, email="boss@example.com", name="Bosco Admin"))  # a fixed name: Faker might say "Mary"
    make.user(name="Mary Instructor", email="mary@example.com", role=Role.INSTRUCTOR)
    make.user(name="Locked Larry", email="larry@example.com", is_locked=True)
    make.user(name="Gone Gabriel", email="gabriel@example.com", is_active=False)

    def emails(query):
        body = client.get("/admin/users" + query).get_data(as_text=True)
        return {e for e in ("mary@", "larry@", "gabriel@", "boss@") if f'data-user="{e}example.com"' in body}

    assert emails("") == {"mary@", "larry@", "gabriel@", "boss@"}
    assert emails("?q=MARY") == {"mary@"}
    assert emails("?role=INSTRUCTOR") == {"mary@"}
    assert emails("?status=locked") == {"larry@"}
    assert emails("?status=inactive") == {"gabriel@"}
    assert emails("?status=active&role=STUDENT") == set()


def test_user_list_query_count_is_fixed(client, make, login):
    login(make.user(role=Role.ADMIN))
    with count_queries() as one:
        assert client.get("/admin/users").status_code == 200
    for _ in range(10):
        make.user()
    with count_queries() as many:
        assert client.get("/admin/users").status_code == 200
    assert len(many) == len(one)


def test_audit_page_query_count_is_fixed(client, make, login):
    admin = login(make.user(role=Role.ADMIN))
    from mwanzo.audit import record
    record(admin, "test.one", admin)
    db.session.commit()
    with count_queries() as one:
        client.get("/admin/audit")
    for n in range(10):
        record(make.user(role=Role.ADMIN), f"test.{n}", admin, n=n)
    db.session.commit()
    with count_queries() as many:
        client.get("/admin/audit")
    assert len(many) == len(one)


def test_categories_crud_is_audited(client, make, login):
    login(make.user(role=Role.ADMIN))
    assert client.post("/admin/categories", data={"name": "Tailoring", "display_order": "3"}).status_code == 303
    category = db.session.scalar(select(Category))
    category_id = category.id
    assert (category.slug, category.display_order) == ("tailoring", 3)
    duplicate = client.post("/admin/categories", data={"name": "Tailoring"})
    assert duplicate.status_code == 422 and "already has this name" in duplicate.get_data(as_text=True)
    assert client.post("/admin/categories", data={"name": ""}).status_code == 422
    assert client.post(f"/admin/categories/{category.id}", data={"name": "Tailoring & fashion",
                                                                  "slug": "fashion"}).status_code == 303
    used = make.category()
    make.course(category_id=used.id)
    refused = post_confirmed(client, f"/admin/categories/{used.id}/delete")
    assert refused.status_code == 409 and "still has courses" in refused.get_data(as_text=True)
    assert post_confirmed(client, f"/admin/categories/{category_id}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.scalar(select(Category).where(Category.id == category_id)) is None
    assert [len(audit(a)) for a in ("category.created", "category.updated", "category.deleted")] == [1, 1, 1]
    [update] = audit("category.updated")
    assert update.details == {"name": "Tailoring & fashion", "slug": "fashion"}


def test_featured_toggle_is_audited_and_shows_on_home(client, make, login):
    login(make.user(role=Role.ADMIN))
    course = make.course(title="Poultry for profit")
    assert post_confirmed(client, f"/admin/courses/{course.id}/featured", featured="1").status_code == 303
    db.session.expire_all()
    assert db.session.get(Course, course.id).is_featured
    assert len(audit("course.featured")) == 1
    post_confirmed(client, f"/admin/courses/{course.id}/featured", featured="0")
    db.session.expire_all()
    assert not db.session.get(Course, course.id).is_featured and len(audit("course.unfeatured")) == 1


def test_dashboard_links_to_review_queue_and_payments(client, make, login):
    login(make.user(role=Role.ADMIN))
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/reviews"' in page and 'href="/admin/payments"' in page
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)  # header link


def test_record_accepts_a_type_and_id_pair_for_other_domains(make):
    from mwanzo.audit import record

    admin = make.user(role=Role.ADMIN)
    record(admin, "payment.refunded", ("payments", "abc"), amount=__import__("decimal").Decimal("10.50"))
    db.session.commit()
    entry = db.session.scalar(select(AuditLog))
    assert (entry.target_type, entry.target_id, entry.details) == ("payments", "abc", {"amount": "10.50"})
