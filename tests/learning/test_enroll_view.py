from decimal import Decimal

from mwanzo.learning.models import Enrollment
from mwanzo.extensions import db
from sqlalchemy import select


def test_verified_learner_enrols_in_a_free_course_with_one_post(client, make, login):
    learner = login(make.user())
    course = make.course()
    lesson = make.lesson(make.section(course))
    response = client.post(f"/courses/{course.slug}/enroll")
    assert response.status_code == 302 and response.location.endswith(f"/learn/{course.slug}")
    assert client.get(response.location).location.endswith(f"/lessons/{lesson.id}")
    assert db.session.scalar(select(Enrollment.student_id)) == learner.id


def test_unverified_learner_is_asked_to_verify_first(client, make, login):
    login(make.user(is_email_verified=False))
    course = make.course()
    response = client.post(f"/courses/{course.slug}/enroll")
    assert response.status_code == 302 and response.location.endswith("/verify-email")
    assert db.session.scalar(select(Enrollment)) is None


def test_lessons_are_closed_to_visitors_without_access_except_previews(client, make, login):
    course = make.course(price=Decimal("500"))
    section = make.section(course)
    locked, preview = make.lesson(section, title="Locked one"), make.lesson(section, title="Preview one", is_preview=True)
    login(make.user())
    assert client.get(f"/learn/{course.slug}/lessons/{locked.id}").status_code == 302
    assert "Preview one" in client.get(f"/learn/{course.slug}/lessons/{preview.id}").get_data(as_text=True)
