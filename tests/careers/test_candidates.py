"""The candidate pool shows only learners who opted in, and only what they chose to share."""
from mwanzo.auth.models import Role
from mwanzo.careers.models import JobApplication
from mwanzo.extensions import db
from tests.queries import count_queries


def test_only_opted_in_learners_appear_without_contact_details(client, make, login):
    make.user(name="Hidden Hassan", show_to_employers=False)
    shown = make.user(name="Shown Sharon", email="sharon@example.com", phone="254711111111",
                      bio="Loves spreadsheets", show_to_employers=True)
    certificate = make.certificate(shown, make.course(title="Excel basics"))
    login(make.user(role=Role.EMPLOYER))
    page = client.get("/employer/candidates").get_data(as_text=True)
    assert "Shown Sharon" in page and "Loves spreadsheets" in page and certificate.verification_code in page
    assert "Hidden Hassan" not in page
    assert "sharon@example.com" not in page and "254711111111" not in page


def test_contact_details_show_once_the_learner_applied_to_this_employer(client, make, login):
    employer, other_employer = make.user(role=Role.EMPLOYER), make.user(role=Role.EMPLOYER)
    learner = make.user(email="otieno@example.com", show_to_employers=True)
    db.session.add(JobApplication(job_id=make.job(other_employer).id, applicant_id=learner.id))
    db.session.commit()
    login(employer)
    assert "otieno@example.com" not in client.get("/employer/candidates").get_data(as_text=True)
    db.session.add(JobApplication(job_id=make.job(employer).id, applicant_id=learner.id))
    db.session.commit()
    assert "otieno@example.com" in client.get("/employer/candidates").get_data(as_text=True)


def test_pool_filters_by_completed_course_and_category(client, make, login):
    farming = make.category(name="Farming", slug="farming")
    poultry = make.course(title="Poultry", slug="poultry", category_id=farming.id)
    python = make.course(title="Python", slug="python")
    make.certificate(make.user(name="Farmer Faith", show_to_employers=True), poultry)
    make.certificate(make.user(name="Coder Kevin", show_to_employers=True), python)
    make.user(name="New Nancy", show_to_employers=True)
    login(make.user(role=Role.EMPLOYER))

    def names(query):
        body = client.get("/employer/candidates" + query).get_data(as_text=True)
        return {n for n in ("Farmer Faith", "Coder Kevin", "New Nancy") if n in body}

    assert names("") == {"Farmer Faith", "Coder Kevin", "New Nancy"}
    assert names("?course=python") == {"Coder Kevin"}
    assert names("?category=farming") == {"Farmer Faith"}
    fragment = client.get("/employer/candidates?course=poultry", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True) and "Farmer Faith" in fragment.get_data(as_text=True)


def test_learners_and_instructors_cannot_browse_the_pool(client, make, login):
    for role in (Role.STUDENT, Role.INSTRUCTOR):
        login(make.user(role=role))
        assert client.get("/employer/candidates").status_code == 403
    client.post("/logout")
    assert client.get("/employer/candidates").status_code == 302


def test_pool_query_count_does_not_grow_with_candidates(client, make, login):
    login(make.user(role=Role.EMPLOYER))
    make.certificate(make.user(show_to_employers=True))
    with count_queries() as one:
        assert client.get("/employer/candidates").status_code == 200
    for _ in range(8):
        learner = make.user(show_to_employers=True)
        make.certificate(learner)
        make.certificate(learner)
    with count_queries() as many:
        assert client.get("/employer/candidates").status_code == 200
    assert len(many) == len(one)
