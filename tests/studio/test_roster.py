"""An instructor's roster: each learner's progress, last activity, best quiz score and certificate, the
"stuck for 7 days" filter and the CSV; a fixed number of queries; someone else's course answers 404."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from mwanzo.auth.models import Role
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.quizzes.models import QuizAttempt
from tests.queries import count_queries


@pytest.fixture
def course_with_learners(make):
    instructor = make.user(role=Role.INSTRUCTOR, is_email_verified=True)
    course = make.course(instructor_id=instructor.id, title="Tailoring basics")
    quiz = make.quiz(course, title="Measuring")
    now = utcnow()
    busy = make.user(name="Akinyi Busy", email="busy@example.com")
    make.enrollment(busy, course, progress_percent=60, last_activity_at=now - timedelta(days=1))
    stuck = make.user(name="Baraka Stuck", email="stuck@example.com")
    make.enrollment(stuck, course, progress_percent=20, last_activity_at=now - timedelta(days=8))
    done = make.user(name="Chebet Done", email="done@example.com")
    certificate = make.certificate(done, course)
    for student, number, score in [(busy, 1, "55"), (busy, 2, "80"), (stuck, 1, "40")]:
        db.session.add(QuizAttempt(quiz_id=quiz.id, student_id=student.id, attempt_number=number, started_at=now,
                                   submitted_at=now,
                                   score=Decimal(score), passed=Decimal(score) >= 50))
    gone = make.user(email="gone@example.com")
    make.enrollment(gone, course, status=EnrollmentStatus.REVOKED)
    db.session.commit()
    return instructor, course, certificate


def learners(body: str) -> set[str]:
    return {e for e in ("busy@", "stuck@", "done@", "gone@") if f'data-learner="{e}example.com"' in body}


def test_the_roster_shows_progress_activity_best_scores_and_certificates(client, login, course_with_learners):
    instructor, course, certificate = course_with_learners
    login(instructor)
    body = client.get(f"/studio/courses/{course.id}/roster").get_data(as_text=True)
    assert learners(body) == {"busy@", "stuck@", "done@"}  # a revoked learner is not on the roster
    assert "Measuring: 80%" in body and "Measuring: 55%" not in body and "60%" in body
    assert certificate.verification_code in body


def test_the_stuck_filter_lists_who_has_not_moved_for_a_week(client, login, course_with_learners):
    instructor, course, _ = course_with_learners
    login(instructor)
    body = client.get(f"/studio/courses/{course.id}/roster", query_string={"stuck": "y"}).get_data(as_text=True)
    assert learners(body) == {"stuck@"}


def test_the_csv_has_every_learner_and_the_same_numbers(client, login, course_with_learners):
    instructor, course, certificate = course_with_learners
    login(instructor)
    response = client.get(f"/studio/courses/{course.id}/roster.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    by_email = {row[1]: row for row in rows[1:]}
    assert set(by_email) == {"busy@example.com", "stuck@example.com", "done@example.com"}
    assert by_email["busy@example.com"][3] == "60" and by_email["busy@example.com"][5] == "Measuring: 80"
    assert by_email["done@example.com"][6] == certificate.verification_code
    stuck = client.get(f"/studio/courses/{course.id}/roster.csv?stuck=y").get_data(as_text=True)
    assert "stuck@example.com" in stuck and "busy@example.com" not in stuck


def test_the_roster_query_count_is_fixed(client, login, make, course_with_learners):
    instructor, course, _ = course_with_learners
    login(instructor)
    with count_queries() as few:
        client.get(f"/studio/courses/{course.id}/roster")
    for _ in range(10):
        make.enrollment(make.user(), course)
    with count_queries() as many:
        client.get(f"/studio/courses/{course.id}/roster")
    assert len(many) == len(few)


def test_another_instructors_roster_is_not_found(client, login, make, course_with_learners):
    _, course, _ = course_with_learners
    login(make.user(role=Role.INSTRUCTOR, is_email_verified=True))
    assert client.get(f"/studio/courses/{course.id}/roster").status_code == 404
    assert client.get(f"/studio/courses/{course.id}/roster.csv").status_code == 404
    login(make.user())
    assert client.get(f"/studio/courses/{course.id}/roster").status_code == 403
