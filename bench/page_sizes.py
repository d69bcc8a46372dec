"""Page weight at scale on PostgreSQL: 10,000 published courses, 1,000 jobs and 100,000 users, then the gzip size
of every page a visitor, learner, instructor, employer and admin can open, walking app.url_map for GET routes
with real ids. Pages over 14 KB gzipped are flagged, and the first visit (home page HTML + its CSS + JS)
is set against the 50 KB budget.

    .venv/bin/python bench/page_sizes.py            # seed (once) and measure
    .venv/bin/python bench/page_sizes.py --reseed

BENCH_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/mwanzo_bench_pages) names a database this
script may drop and recreate. Requests go through the app in-process (Flask's test client), gzip level 6 as
nginx sends them.
"""
from __future__ import annotations

import argparse
import gzip
import os
import re
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import catalog  # noqa: E402

JOBS, USERS = 1_000, 100_000
PAGE_BUDGET, FIRST_VISIT_BUDGET = 14 * 1024, 50 * 1024


def database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mwanzo_bench_pages")


def engine_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def seed_more(app) -> None:
    """On top of the catalog's 10,000 courses: 100,000 learners and 1,000 open jobs (bulk, executemany)."""
    from mwanzo.auth.models import User
    from mwanzo.careers.models import Job
    from mwanzo.database import utcnow
    from mwanzo.extensions import db

    now = utcnow()
    with app.app_context():
        for start in range(0, USERS, 10_000):
            db.session.execute(sa.insert(User), [{
                "id": uuid.uuid4(), "name": f"Learner {n}", "email": f"pages{n}@bench.example", "password_hash": "x",
                "role": "STUDENT", "security_stamp": uuid.uuid4().hex, "show_to_employers": n % 3 == 0,
                "created_at": now, "updated_at": now} for n in range(start, start + 10_000)])
        employers = [{"id": uuid.uuid4(), "name": f"Employer {n}", "email": f"employer{n}@bench.example",
                      "password_hash": "x", "role": "EMPLOYER", "security_stamp": uuid.uuid4().hex,
                      "created_at": now, "updated_at": now} for n in range(50)]
        db.session.execute(sa.insert(User), employers)
        db.session.execute(sa.insert(Job), [{
            "id": uuid.uuid4(), "employer_id": employers[n % 50]["id"], "title": f"Field officer {n}",
            "description": "Visit **farmers** and record their harvest.", "location": "Nakuru", "kind": "FULL_TIME",
            "skills": ["Excel"], "created_at": now, "updated_at": now} for n in range(JOBS)])
        db.session.commit()


def world(app) -> tuple[dict, dict]:
    """One of everything, made by the real code paths the tests use, so every route gets real ids."""
    from mwanzo.auth.models import Role
    from mwanzo.careers import services as careers
    from mwanzo.courses.models import LessonKind
    from mwanzo.extensions import db
    from mwanzo.learning.models import EnrollmentStatus
    from mwanzo.payments.models import PaymentStatus
    from mwanzo.quizzes import services as quizzes
    from tests import factories as make
    from tests.learning.media_fixtures import ready_video_lesson

    tag = uuid.uuid4().hex[:8]
    import factory

    offset = int(time.time())  # the factories' names and slugs do not meet those of an earlier run
    for made in vars(make).values():
        if isinstance(made, type) and issubclass(made, factory.Factory) and made._meta.model is not None:
            made.reset_sequence(offset)
    student = make.user(role=Role.STUDENT, email=f"learner-{tag}@bench.example")
    instructor = make.instructor(email=f"teacher-{tag}@bench.example")
    employer = make.user(role=Role.EMPLOYER, email=f"employer-{tag}@bench.example")
    admin = make.user(role=Role.ADMIN, email=f"admin-{tag}@bench.example")
    category = make.category(slug=f"bench-{tag}", name=f"Bench {tag}")
    course = make.course(instructor_id=instructor.id, category_id=category.id, price=Decimal("500"),
                         slug=f"bench-{tag}", title=f"Bench course {tag}")
    section = make.section(course)
    video = ready_video_lesson(section, title="Video")
    make.lesson(section, title="Reading", kind=LessonKind.TEXT)
    enrolment = make.enrollment(student, course, status=EnrollmentStatus.ACTIVE)
    payment = make.payment(enrolment, "500", PaymentStatus.SUCCESS)
    certificate = make.certificate(student)
    quiz = make.quiz(course)
    question = make.question(quiz)
    attempt = quizzes.start_attempt(quiz, student)
    job = make.job(employer)
    application = careers.apply(job, student, "Hello", [certificate.id])
    db.session.commit()
    values = {
        "user_id": student.id, "category_id": category.id, "course_id": course.id, "job_id": job.id,
        "application_id": application.id, "slug": course.slug, "code": certificate.verification_code,
        "lesson_id": video.id, "section_id": section.id, "payment_id": payment.id, "quiz_id": quiz.id,
        "question_id": question.id, "attempt_id": attempt.id,
    }
    # Plain emails: requests run outside this app context (Flask-Login keeps the user on g, which an
    # enclosing app context would share between clients).
    return values, {"visitor": None, "learner": student.email, "instructor": instructor.email,
                    "employer": employer.email, "admin": admin.email}


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def measure(app, values: dict, users: dict) -> int:
    """Print every HTML page each role can open; returns how many are over the budget."""
    adapter = app.url_map.bind("localhost")
    over = 0
    seen: dict[str, int] = {}
    print(f"{'who':10} {'status':>6} {'bytes':>8} {'gzip':>7}  page")
    for who, email in users.items():
        client = app.test_client()
        if email is not None:  # through the login form, as a person would
            from tests.factories import PASSWORD

            signed_in = client.post("/login", data={"email": email, "password": PASSWORD})
            assert signed_in.status_code in (302, 303), (who, signed_in.status_code)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in (rule.methods or ()) or any(name not in values for name in rule.arguments):
                continue
            url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments})
            response = client.get(url)
            if os.environ.get("BENCH_DEBUG"):  # every request, with its answer
                print("#", who, url, response.status_code, response.headers.get("Location"))
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            size = gz(response.data)
            if seen.get(url) == size:
                continue  # the same page as another role saw it
            seen[url] = size
            flag = "  OVER 14 KB" if size > PAGE_BUDGET else ""
            over += bool(flag)
            print(f"{who:10} {response.status_code:>6} {len(response.data):>8} {size:>7}  {url}{flag}")
    return over


def first_visit(app) -> int:
    client = app.test_client()
    html = client.get("/").data
    total = gz(html)
    print(f"\nfirst visit: / {gz(html)} B gzip")
    for asset in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js)[^"]*)"', html):
        body = client.get(asset.decode()).data
        total += gz(body)
        print(f"  + {asset.decode()} {gz(body)} B gzip")
    print(f"first visit total: {total} B gzip (budget {FIRST_VISIT_BUDGET} B){'  OVER' if total > FIRST_VISIT_BUDGET else ''}")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and seed the bench database again")
    args = parser.parse_args()
    url = database_url()
    engine = sa.create_engine(sa.make_url(url).set(drivername="postgresql+psycopg", database="postgres"))
    with engine.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": sa.make_url(url).database}).scalar()
    engine.dispose()
    os.environ["DATABASE_URL"] = url
    from mwanzo import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": engine_url(url), "RATELIMIT_ENABLED": False,
                      "JOB_RUNNER": "thread", "WTF_CSRF_ENABLED": False, "SECRET_KEY": "bench-secret-key-0123456789-0123456789"})
    if args.reseed or not exists:
        from tests.conftest import fresh_postgres_database

        fresh_postgres_database(url, sa.make_url(url).database)
        started = time.perf_counter()
        catalog.seed(url)
        seed_more(app)
        print(f"seeded {catalog.COURSES:,} courses, {JOBS:,} jobs, {USERS:,} users in "
              f"{time.perf_counter() - started:.1f} s")
    with app.app_context():
        values, users = world(app)
    over = measure(app, values, users)
    first_visit(app)
    print(f"\n{over} page(s) over {PAGE_BUDGET // 1024} KB gzip")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
