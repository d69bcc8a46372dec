from flask import Blueprint

from mwanzo.auth.access import owned_or_404, role_required
from mwanzo.auth.models import Role, User
from mwanzo.extensions import db
from tests.factories import PASSWORD


def test_profile_edit_saves_and_invalid_phone_rerenders(client, make, login):
    user = login(make.user(name="Old"))
    response = client.post("/profile", data={"name": "New Name", "phone": "+254 712-345-678", "locale": "sw",
                                             "data_saver": "y"})
    # A new phone is saved unconfirmed and a code is texted to confirm it.
    assert response.status_code == 303 and response.headers["Location"].endswith("/login/phone/code")
    db.session.refresh(user)
    assert (user.name, user.phone, user.locale, user.data_saver) == ("New Name", "254712345678", "sw", True)
    assert not user.is_phone_verified
    bad = client.post("/profile", data={"name": "New Name", "phone": "999", "locale": "en"})
    assert bad.status_code == 422 and "0712 345 678" in bad.get_data(as_text=True)  # the saved locale is Swahili now


def test_password_change_needs_the_current_password(client, make, login):
    user = login(make.user())
    wrong = client.post("/profile/password", data={"pw-current_password": "nope", "pw-password": "Next#2026x",
                                                   "pw-confirm": "Next#2026x"})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    ok = client.post("/profile/password", data={"pw-current_password": PASSWORD, "pw-password": "Next#2026x",
                                                "pw-confirm": "Next#2026x"})
    assert ok.status_code == 302
    db.session.refresh(user)
    assert user.check_password("Next#2026x")
    assert client.get("/profile").status_code == 200  # this device stays signed in


def guarded_app(app):
    """A second app on the same database with routes guarded the way every domain guards its views."""
    from mwanzo import create_app

    app = create_app(dict(app.config))
    bp = Blueprint("guard_test", __name__)

    @bp.get("/_guard/instructor")
    @role_required(Role.INSTRUCTOR)
    def instructor_only():
        return "ok"

    @bp.get("/_guard/owned/<uuid:owner>")
    @role_required(*Role)
    def owned(owner):
        return owned_or_404(db.session.get(User, owner), lambda user: user.id).name

    @bp.get("/_guard/own-only/<uuid:owner>")
    @role_required(*Role)
    def own_only(owner):
        return owned_or_404(db.session.get(User, owner), lambda user: user.id, admins=False).name

    app.register_blueprint(bp)
    return app


def test_role_required_gives_403_to_wrong_role_and_login_to_anonymous(app, make):
    app = guarded_app(app)
    anonymous = app.test_client()
    assert anonymous.get("/_guard/instructor").status_code == 302
    for role, expected in [(Role.STUDENT, 403), (Role.EMPLOYER, 403), (Role.INSTRUCTOR, 200), (Role.ADMIN, 200)]:
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = make.user(role=role).get_id()
        response = client.get("/_guard/instructor")
        assert response.status_code == expected, role
    assert "Not allowed" in response.get_data(as_text=True) or expected == 200


def test_someone_elses_record_does_not_exist_for_the_caller(app, make):
    """Another user's record answers 404 exactly like an id that was never issued; admins pass where
    admins may act."""
    import uuid

    app = guarded_app(app)
    owner, other, admin = make.user(), make.user(), make.user(role=Role.ADMIN)

    def client_for(user):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
        return client

    as_other, as_admin = client_for(other), client_for(admin)
    assert as_other.get(f"/_guard/owned/{owner.id}").status_code == 404
    assert as_other.get(f"/_guard/owned/{uuid.uuid4()}").status_code == 404
    assert as_other.get(f"/_guard/owned/{other.id}").status_code == 200
    assert as_admin.get(f"/_guard/owned/{owner.id}").status_code == 200
    assert as_admin.get(f"/_guard/own-only/{owner.id}").status_code == 404
    assert client_for(owner).get(f"/_guard/own-only/{owner.id}").status_code == 200
