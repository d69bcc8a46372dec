import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mwanzo.auth.models import Role, User
from mwanzo.catalog import services
from mwanzo.courses.models import Course, Review
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from tests.concurrency import run_together


def course_rating(course_id):
    db.session.expire_all()
    course = db.session.get(Course, course_id)
    return course.average_rating, course.rating_count


def test_enrolled_learner_rates_once_and_a_second_review_edits_the_first(client, make, login):
    course = make.course()
    learner = login(make.user())
    make.enrollment(learner, course)
    response = client.post(f"/courses/{course.slug}/review", data={"rating": "4", "text": "Clear lessons."})
    assert response.status_code == 302 and response.location.endswith(f"/courses/{course.slug}#reviews")
    assert course_rating(course.id) == (Decimal("4.00"), 1)
    client.post(f"/courses/{course.slug}/review", data={"rating": "2", "text": "Changed my mind."})
    assert db.session.scalar(select(func.count(Review.id))) == 1
    assert course_rating(course.id) == (Decimal("2.00"), 1)
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Changed my mind." in page and "Edit your review" in page
    assert re.search(r'checked[^>]*value="2"', page) and len(re.findall(r"<input[^>]*checked", page)) == 1
    form = client.get(f"/courses/{course.slug}/review").get_data(as_text=True)
    assert "Changed my mind." in form and re.search(r'checked[^>]*value="2"|value="2"[^>]*checked', form)


@pytest.mark.parametrize("who", ["stranger", "pending", "revoked", "instructor", "admin"])
def test_only_enrolled_learners_may_review(client, make, login, who):
    course = make.course(price=Decimal("500"))
    user = login(make.user(role=Role.ADMIN if who == "admin" else Role.INSTRUCTOR if who == "instructor" else Role.STUDENT))
    if who == "instructor":
        course.instructor_id = user.id
        db.session.commit()
    if who in ("pending", "revoked"):
        make.enrollment(user, course, status=EnrollmentStatus.PENDING_PAYMENT if who == "pending" else EnrollmentStatus.REVOKED)
    assert client.post(f"/courses/{course.slug}/review", data={"rating": "5"}).status_code == 403
    assert client.get(f"/courses/{course.slug}/review").status_code == 403
    assert "Rate this course" not in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert db.session.scalar(select(func.count(Review.id))) == 0


def test_anonymous_visitors_are_sent_to_log_in(client, make):
    course = make.course()
    response = client.post(f"/courses/{course.slug}/review", data={"rating": "5"})
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("data", [{"rating": "0"}, {"rating": "6"}, {"rating": "-1"}, {"rating": "abc"}, {},
                                  {"rating": "3", "text": "x" * 2001}])
def test_rating_must_be_1_to_5_and_text_short(client, make, login, data):
    course = make.course()
    learner = login(make.user())
    make.enrollment(learner, course)
    response = client.post(f"/courses/{course.slug}/review", data=data)
    assert response.status_code == 422
    assert 'class="error"' in response.get_data(as_text=True)
    assert course_rating(course.id) == (Decimal("0.00"), 0)


def test_review_form_needs_a_csrf_token(client, make, login, csrf_enabled):
    course = make.course()
    learner = login(make.user())
    make.enrollment(learner, course)
    assert client.post(f"/courses/{course.slug}/review", data={"rating": "5"}).status_code == 400
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    token = re.search(r'action="/courses/[^"]+/review"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                      page).group(1)
    response = client.post(f"/courses/{course.slug}/review", data={"rating": "5", "csrf_token": token})
    assert response.status_code == 302 and course_rating(course.id) == (Decimal("5.00"), 1)


def test_review_text_is_escaped(client, make):
    course = make.course()
    make.review(course, rating=5, text="<img src=x onerror=alert(1)> Great")
    html = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt; Great" in html


def test_average_matches_the_reviews_exactly(app, make):
    course = make.course()
    for rating in (5, 4, 4, 1):
        student = make.user()
        make.enrollment(student, course)
        services.save_review(student, course, rating, None)
        db.session.commit()
    assert course_rating(course.id) == (Decimal("3.50"), 4)


def test_reviews_list_newest_first_with_a_more_link_that_also_works_without_js(client, make):
    course = make.course()
    for i in range(23):
        make.review(course, rating=1 + i % 5, text=f"Review number {i}")
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert page.index("Review number 22") < page.index("Review number 21")
    assert "Review number 13" in page and "Review number 12" not in page
    more = re.search(r'<a class="btn secondary" href="([^"]+)" hx-get="\1" hx-target="closest li"', page)
    assert more and more.group(1) == f"/courses/{course.slug}/reviews?page=2"
    full = client.get(more.group(1))
    fragment = client.get(more.group(1), headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    second = fragment.get_data(as_text=True)
    assert "Review number 12" in second and "Review number 3" in second and "Review number 13" not in second
    assert "HX-Request" in fragment.headers["Vary"]
    last = client.get(f"/courses/{course.slug}/reviews?page=3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Review number 0" in last and "More reviews" not in last
    assert client.get(f"/courses/{course.slug}/reviews?page=0").status_code == 400
    assert client.get(f"/courses/{course.slug}/reviews?page=x").status_code == 200


@pytest.mark.postgres
def test_concurrent_reviews_keep_the_rating_exact_on_postgres(app, make, postgres):
    course = make.course()
    ratings = [1, 2, 3, 4, 5] * 2  # ten writers: within the connection pool, all waiting at one barrier
    students = []
    for _ in ratings:
        student = make.user()
        make.enrollment(student, course)
        students.append(student.id)
    course_id = course.id

    def write(barrier, pair):
        student_id, rating = pair
        student = db.session.get(User, student_id)
        target = db.session.get(Course, course_id)
        barrier.wait(timeout=10)
        services.save_review(student, target, rating, "concurrent")
        db.session.commit()

    assert run_together(app, write, each=zip(students, ratings)) == []
    count, total = db.session.execute(select(func.count(Review.id), func.sum(Review.rating))).one()
    assert count == len(ratings)
    assert course_rating(course_id) == ((Decimal(total) / count).quantize(Decimal("0.01")), count)
