"""An employer asks to be verified with its company details; an admin verifies it (from the confirmation
page, audited) and its jobs carry the "Verified employer" badge at once, or rejects it with a reason the
employer reads. Renaming a verified company takes the badge away until it is checked again."""
import pytest
from sqlalchemy import func, select

from mwanzo.audit import AuditLog
from mwanzo.auth.models import Role, User
from mwanzo.careers import services as careers
from mwanzo.careers.models import EmployerProfile, VerificationStatus
from mwanzo.extensions import db
from tests.concurrency import run_together
from tests.confirmations import post_confirmed

BADGE = "Verified employer"
DETAILS = {"registration_number": "PVT-AB12CD3", "details": "Plot 12, Kenyatta Avenue, Nakuru. Ask for Hawa, 0712 000111."}


@pytest.fixture
def employer(make):
    employer = make.user(role=Role.EMPLOYER)
    careers.save_profile(employer, "Nakuru Grains Ltd", None, None, None)
    db.session.commit()
    return employer


def profile_of(user) -> EmployerProfile:
    db.session.expire_all()
    return db.session.scalar(select(EmployerProfile).where(EmployerProfile.user_id == user.id))


def ask(client, login, employer):
    login(employer)
    assert client.post("/employer/verification", data=DETAILS).status_code == 303
    assert profile_of(employer).verification_status == VerificationStatus.PENDING


def test_an_admin_verifies_and_the_badge_shows_on_the_board_and_the_job(client, login, make, employer):
    job = make.job(employer, title="Grain sorter")
    assert BADGE not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    ask(client, login, employer)
    assert "Waiting for review" in client.get("/employer/verification").get_data(as_text=True)
    admin = login(make.user(role=Role.ADMIN))
    queue = client.get("/admin/employers").get_data(as_text=True)
    assert "Nakuru Grains Ltd" in queue and "PVT-AB12CD3" in queue and "Kenyatta Avenue" in queue
    assert client.post(f"/admin/employers/{employer.id}/verify").status_code == 400  # no confirmation token
    assert post_confirmed(client, f"/admin/employers/{employer.id}/verify").status_code == 303
    assert profile_of(employer).is_verified
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "employer.verified"))
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.id, "users", str(employer.id))
    assert entry.details["registration_number"] == "PVT-AB12CD3"
    login(make.user())
    assert BADGE in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    board = client.get("/jobs").get_data(as_text=True)
    assert BADGE in board.split(f'data-job="{job.id}"')[1]
    login(employer)
    assert "Nakuru Grains Ltd is now a verified employer" in client.get("/notifications").get_data(as_text=True)
    # Deciding twice is refused.
    login(admin)
    assert post_confirmed(client, f"/admin/employers/{employer.id}/reject", reason="Changed my mind").status_code == 409


def test_a_rejection_needs_a_reason_the_employer_reads_and_may_ask_again(client, login, make, employer):
    job = make.job(employer)
    ask(client, login, employer)
    login(make.user(role=Role.ADMIN))
    assert post_confirmed(client, f"/admin/employers/{employer.id}/reject", reason="").status_code == 422
    assert post_confirmed(client, f"/admin/employers/{employer.id}/reject",
                          reason="The registration number belongs to another company.").status_code == 303
    assert profile_of(employer).verification_status == VerificationStatus.REJECTED
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "employer.rejected"))["reason"] == \
        "The registration number belongs to another company."
    assert BADGE not in client.get(f"/jobs/{job.id}").get_data(as_text=True)
    login(employer)
    page = client.get("/employer/verification").get_data(as_text=True)
    assert "belongs to another company" in page and "Ask for verification" in page
    ask(client, login, employer)
    assert profile_of(employer).verification_reason is None


def test_renaming_a_verified_company_takes_the_badge_away(client, login, make, employer):
    job = make.job(employer)
    ask(client, login, employer)
    careers.decide_verification(make.user(role=Role.ADMIN), profile_of(employer), True)
    db.session.commit()
    login(employer)
    assert client.post("/employer/profile", data={"company_name": "Nakuru Grains Ltd", "about": "Grain"}).status_code == 303
    assert profile_of(employer).is_verified  # the same name: still verified
    assert client.post("/employer/profile", data={"company_name": "Totally Different Ltd"}).status_code == 303
    assert profile_of(employer).verification_status == VerificationStatus.NONE
    assert BADGE not in client.get(f"/jobs/{job.id}").get_data(as_text=True)


def test_verification_needs_a_profile_and_complete_details(client, login, make):
    login(make.user(role=Role.EMPLOYER))
    response = client.get("/employer/verification")
    assert response.status_code == 303 and response.headers["Location"].endswith("/employer/profile")


def test_only_admins_decide_and_details_are_required(client, login, make, employer):
    login(employer)
    assert client.post("/employer/verification", data={"registration_number": "", "details": "short"}).status_code == 422
    ask(client, login, employer)
    for role in (Role.EMPLOYER, Role.STUDENT, Role.INSTRUCTOR):
        login(make.user(role=role))
        assert client.get("/admin/employers").status_code == 403
        assert client.post(f"/admin/employers/{employer.id}/verify").status_code == 403
    assert profile_of(employer).verification_status == VerificationStatus.PENDING


@pytest.mark.postgres
def test_two_admins_deciding_at_once_decide_once(postgres, app, client, login, make, employer):
    ask(client, login, employer)
    admin_ids, employer_id = [make.user(role=Role.ADMIN).id for _ in range(2)], employer.id
    told: list[str] = []

    def decide(barrier, item):
        admin_id, verified = item
        admin, profile = db.session.get(User, admin_id), careers.get_profile(employer_id)
        barrier.wait()
        try:
            careers.decide_verification(admin, profile, verified, None if verified else "Not a real company")
            db.session.commit()
            told.append("decided")
        except careers.NotPending:
            db.session.rollback()
            told.append("already")

    assert run_together(app, decide, each=[(admin_ids[0], True), (admin_ids[1], False)]) == []
    assert sorted(told) == ["already", "decided"]
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action.in_(("employer.verified", "employer.rejected")))) == 1
